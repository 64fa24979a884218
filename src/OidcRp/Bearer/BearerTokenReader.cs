using Microsoft.AspNetCore.Http;

namespace OidcRp.Bearer;

/// <summary>
/// Where a request's bearer token is read from (RFC 6750 §2): the <c>Authorization: Bearer</c> header; the headers listed in
/// <see cref="OidcRpBearerOptions.TokenHeaders"/>; the <c>access_token</c> query parameter only when
/// <see cref="OidcRpBearerOptions.AllowQueryStringToken"/> is on. Never a form body. A token in more than one place, or a
/// header given twice, is refused (§2: "MUST NOT use more than one method").
/// </summary>
internal static class BearerTokenReader
{
    private const string Prefix = "Bearer ";

    /// <summary>The token, or null with <paramref name="invalid"/> false when the request carries none (another scheme's header is none).</summary>
    public static string? Read(HttpRequest request, OidcRpBearerOptions options, out bool invalid)
    {
        invalid = false;
        string? token = null;
        var places = 0;
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 1)
        {
            invalid = true;
            return null;
        }
        if (authorization.Count == 1 && authorization[0] is { } value && value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            token = value[Prefix.Length..].Trim();
            places++;
        }
        foreach (var name in options.TokenHeaders)
        {
            var values = request.Headers[name];
            if (values.Count == 0)
            {
                continue;
            }
            if (values.Count > 1)
            {
                invalid = true;
                return null;
            }
            var raw = values[0] ?? "";
            token = (raw.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? raw[Prefix.Length..] : raw).Trim();
            places++;
        }
        if (options.AllowQueryStringToken && request.Query.TryGetValue("access_token", out var query))
        {
            if (query.Count > 1)
            {
                invalid = true;
                return null;
            }
            token = query[0]?.Trim();
            places++;
        }
        if (places > 1 || (places == 1 && string.IsNullOrEmpty(token)))
        {
            invalid = true;
            return null;
        }
        return token;
    }
}
