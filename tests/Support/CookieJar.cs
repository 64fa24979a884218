namespace OidcRp.Tests.Support;

/// <summary>
/// A small cookie jar keyed by origin, name and path, as a browser keeps them for these tests: Secure
/// cookies are kept over http (browsers treat 127.0.0.1 as a secure context) and expired ones dropped.
/// </summary>
public sealed class CookieJar
{
    private readonly Dictionary<(string Origin, string Name, string Path), string> _cookies = [];
    private readonly Lock _gate = new();

    public int Count(string origin)
    {
        lock (_gate)
        {
            return _cookies.Keys.Count(k => k.Origin == origin);
        }
    }

    public IReadOnlyList<string> Names(string origin)
    {
        lock (_gate)
        {
            return _cookies.Keys.Where(k => k.Origin == origin).Select(k => k.Name).ToList();
        }
    }

    public string? Header(Uri uri)
    {
        var origin = uri.GetLeftPart(UriPartial.Authority);
        lock (_gate)
        {
            var matching = _cookies.Where(c => c.Key.Origin == origin && uri.AbsolutePath.StartsWith(c.Key.Path, StringComparison.Ordinal))
                .OrderByDescending(c => c.Key.Path.Length)
                .Select(c => $"{c.Key.Name}={c.Value}")
                .ToList();
            return matching.Count == 0 ? null : string.Join("; ", matching);
        }
    }

    public void Remember(Uri uri, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }
        var origin = uri.GetLeftPart(UriPartial.Authority);
        foreach (var header in values)
        {
            var parts = header.Split(';');
            var eq = parts[0].IndexOf('=', StringComparison.Ordinal);
            var name = parts[0][..eq].Trim();
            var value = parts[0][(eq + 1)..].Trim();
            var path = "/";
            var expired = value.Length == 0;
            foreach (var attribute in parts.Skip(1).Select(p => p.Trim()))
            {
                if (attribute.StartsWith("path=", StringComparison.OrdinalIgnoreCase))
                {
                    path = attribute[5..];
                }
                else if (attribute.StartsWith("expires=", StringComparison.OrdinalIgnoreCase)
                    && DateTimeOffset.TryParse(attribute[8..], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var expires)
                    && expires < DateTimeOffset.UtcNow)
                {
                    expired = true;
                }
                else if (attribute.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase) && attribute[8..].Trim() is "0" or ['-', ..])
                {
                    expired = true;
                }
            }
            lock (_gate)
            {
                if (expired)
                {
                    _cookies.Remove((origin, name, path));
                }
                else
                {
                    _cookies[(origin, name, path)] = value;
                }
            }
        }
    }
}
