using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OidcRp.Farm;

/// <summary>
/// HMAC-SHA256 over what the instances exchange through the shared store: the store is not trusted more than the OP,
/// so a snapshot or message written there by anyone without <see cref="OidcFarmOptions.SharedKey"/> is ignored. Fields
/// are length-prefixed before hashing, so no two field lists share an input.
/// </summary>
internal sealed class FarmMac(byte[] key)
{
    /// <summary>The shortest key accepted: as long as the HMAC-SHA256 output (RFC 2104 §3).</summary>
    public const int MinKeyBytes = 32;

    public static FarmMac? FromOptions(OidcFarmOptions options)
    {
        if (string.IsNullOrEmpty(options.SharedKey))
        {
            return null;
        }
        var key = new byte[options.SharedKey.Length];
        return Convert.TryFromBase64String(options.SharedKey, key, out var written) && written >= MinKeyBytes
            ? new FarmMac(key.AsSpan(0, written).ToArray())
            : null;
    }

    public string Compute(params string[] fields) => Convert.ToBase64String(HMACSHA256.HashData(key, Encode(fields)));

    public bool Verify(string? mac, params string[] fields)
    {
        if (mac is null)
        {
            return false;
        }
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(mac, given, out var written) || written != given.Length)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(key, Encode(fields)));
    }

    private static byte[] Encode(string[] fields)
    {
        using var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }
        return buffer.ToArray();
    }
}
