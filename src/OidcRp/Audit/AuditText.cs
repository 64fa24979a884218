using System.Globalization;
using System.Text;

namespace OidcRp.Audit;

/// <summary>Makes request-derived text safe to store and log: control characters escaped, length capped.</summary>
internal static class AuditText
{
    public const int MaxKid = 128;
    public const int MaxUserAgent = 256;
    public const int MaxShort = 128;

    public static string? Clean(string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }
        var builder = new StringBuilder(Math.Min(value.Length, maxLength));
        foreach (var c in value)
        {
            if (builder.Length >= maxLength)
            {
                builder.Append('…');
                break;
            }
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
