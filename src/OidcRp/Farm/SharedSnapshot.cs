using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OidcRp.Farm;

/// <summary>
/// A provider's discovery and JWKS documents as one instance fetched them from the OP, versioned and MAC-protected
/// for the shared store. Another instance adopts it instead of fetching only after checking the MAC, the provider,
/// its metadata address, the version (newer than what it holds) and the age; it parses the documents with the same
/// rules as a fetch.
/// </summary>
internal sealed record SharedSnapshot(string ProviderId, string MetadataAddress, long Version, DateTimeOffset FetchedAt,
    string Discovery, string Jwks, string Instance)
{
    private const string Purpose = "oidcrp-farm-snapshot-v1";

    public string Seal(FarmMac mac) => JsonSerializer.Serialize(new Wire
    {
        P = ProviderId,
        A = MetadataAddress,
        V = Version,
        T = FetchedAt.ToUnixTimeMilliseconds(),
        D = Discovery,
        J = Jwks,
        I = Instance,
        M = mac.Compute(Fields(ProviderId, MetadataAddress, Version, FetchedAt.ToUnixTimeMilliseconds(), Discovery, Jwks, Instance)),
    }, WireContext.Default.Wire);

    /// <summary>The snapshot in <paramref name="payload"/> when it parses and its MAC verifies; otherwise null.</summary>
    public static SharedSnapshot? Open(string payload, FarmMac mac)
    {
        Wire? wire;
        try
        {
            wire = JsonSerializer.Deserialize(payload, WireContext.Default.Wire);
        }
        catch (JsonException)
        {
            return null;
        }
        if (wire is not { P: { } p, A: { } a, D: { } d, J: { } j, I: { } i } || wire.V <= 0
            || !mac.Verify(wire.M, Fields(p, a, wire.V, wire.T, d, j, i)))
        {
            return null;
        }
        return new SharedSnapshot(p, a, wire.V, DateTimeOffset.FromUnixTimeMilliseconds(wire.T), d, j, i);
    }

    private static string[] Fields(string p, string a, long v, long t, string d, string j, string i) =>
        [Purpose, p, a, v.ToString(CultureInfo.InvariantCulture), t.ToString(CultureInfo.InvariantCulture), d, j, i];

    internal sealed class Wire
    {
        public string? P { get; set; }
        public string? A { get; set; }
        public long V { get; set; }
        public long T { get; set; }
        public string? D { get; set; }
        public string? J { get; set; }
        public string? I { get; set; }
        public string? M { get; set; }
    }
}

/// <summary>A broadcast between instances: a snapshot stored, a kid revoked or un-revoked, providers changed.</summary>
internal sealed record FarmMessage(string Kind, string ProviderId, string? Value, string Origin, DateTimeOffset SentAt)
{
    public const string Snapshot = "snapshot";
    public const string Revoke = "revoke";
    public const string Unrevoke = "unrevoke";
    public const string Providers = "providers";

    private const string Purpose = "oidcrp-farm-message-v1";

    public string Seal(FarmMac mac) => JsonSerializer.Serialize(new WireMessage
    {
        K = Kind,
        P = ProviderId,
        X = Value,
        O = Origin,
        T = SentAt.ToUnixTimeMilliseconds(),
        M = mac.Compute(Fields(Kind, ProviderId, Value, Origin, SentAt.ToUnixTimeMilliseconds())),
    }, WireContext.Default.WireMessage);

    public static FarmMessage? Open(string payload, FarmMac mac)
    {
        WireMessage? wire;
        try
        {
            wire = JsonSerializer.Deserialize(payload, WireContext.Default.WireMessage);
        }
        catch (JsonException)
        {
            return null;
        }
        if (wire is not { K: { } k, P: { } p, O: { } o } || !mac.Verify(wire.M, Fields(k, p, wire.X, o, wire.T)))
        {
            return null;
        }
        return new FarmMessage(k, p, wire.X, o, DateTimeOffset.FromUnixTimeMilliseconds(wire.T));
    }

    private static string[] Fields(string k, string p, string? x, string o, long t) =>
        [Purpose, k, p, x is null ? "\0" : "1" + x, o, t.ToString(CultureInfo.InvariantCulture)];

    internal sealed class WireMessage
    {
        public string? K { get; set; }
        public string? P { get; set; }
        public string? X { get; set; }
        public string? O { get; set; }
        public long T { get; set; }
        public string? M { get; set; }
    }
}

[JsonSerializable(typeof(SharedSnapshot.Wire))]
[JsonSerializable(typeof(FarmMessage.WireMessage))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class WireContext : JsonSerializerContext;
