using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;

namespace OidcRp.Callback;

/// <summary>
/// Keeps the stock handler's per-login cookies (nonce and correlation) from piling up. The stock handler
/// scopes them to the callback path, so a login that is started and abandoned leaves two cookies that no
/// later request can see or remove; a few dozen of them push the callback's Cookie header past the
/// server's limit and every login fails until they expire. OidcRp scopes them to the provider's path
/// (<c>/auth/oidc/{id}</c>, under the app's path base), which covers both the login endpoint and the
/// callback, and at each new challenge removes all but the newest <see cref="MaxPendingLogins"/> − 1.
/// </summary>
internal static class FlowCookies
{
    /// <summary>Logins one browser may have under way with one provider at a time (tabs, retries).</summary>
    public const int MaxPendingLogins = 5;

    /// <summary>
    /// The longest whole-segment path both the login endpoint and the callback live under, or null when
    /// that is the root (a custom callback path elsewhere): then the stock scope stays and nothing is trimmed.
    /// </summary>
    public static string? Scope(string loginPath, string callbackPath)
    {
        var a = loginPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var b = callbackPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var common = 0;
        while (common < a.Length && common < b.Length && string.Equals(a[common], b[common], StringComparison.Ordinal))
        {
            common++;
        }
        return common == 0 ? null : "/" + string.Join('/', a.Take(common));
    }

    /// <summary>Rescopes the nonce and correlation cookies of one provider's handler to <paramref name="scope"/>.</summary>
    public static void Apply(OpenIdConnectOptions options, string scope)
    {
        options.NonceCookie = Copy(options.NonceCookie, new ScopedCookieBuilder(options, scope, () => options.ProtocolValidator.NonceLifetime));
        options.CorrelationCookie = Copy(options.CorrelationCookie, new ScopedCookieBuilder(options, scope, () => options.RemoteAuthenticationTimeout));
    }

    /// <summary>
    /// At a challenge, deletes this provider's oldest pending nonce and correlation cookies so that, with the
    /// new login's pair, at most <see cref="MaxPendingLogins"/> of each remain. Browsers send cookies of one
    /// path oldest first (RFC 6265 §5.4), so the leading ones go.
    /// </summary>
    public static int Trim(HttpContext context, OpenIdConnectOptions options)
    {
        var header = context.Request.Headers.Cookie;
        if (header.Count == 0)
        {
            return 0;
        }
        return Trim(context, header, options.NonceCookie) + Trim(context, header, options.CorrelationCookie);
    }

    private static int Trim(HttpContext context, Microsoft.Extensions.Primitives.StringValues header, CookieBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Name))
        {
            return 0;
        }
        var names = new List<string>();
        foreach (var line in header)
        {
            foreach (var pair in (line ?? "").Split(';'))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = (eq < 0 ? pair : pair[..eq]).Trim();
                if (name.Length > builder.Name.Length && name.StartsWith(builder.Name, StringComparison.Ordinal) && !names.Contains(name))
                {
                    names.Add(name);
                }
            }
        }
        var excess = names.Count - (MaxPendingLogins - 1);
        if (excess <= 0)
        {
            return 0;
        }
        var delete = builder.Build(context);
        foreach (var name in names.Take(excess))
        {
            context.Response.Cookies.Delete(name, delete);
        }
        return excess;
    }

    private static ScopedCookieBuilder Copy(CookieBuilder from, ScopedCookieBuilder to)
    {
        to.Name = from.Name;
        to.Domain = from.Domain;
        to.Path = from.Path; // a path the application set itself wins
        to.HttpOnly = from.HttpOnly;
        to.SameSite = from.SameSite;
        to.SecurePolicy = from.SecurePolicy;
        to.IsEssential = from.IsEssential;
        to.Expiration = from.Expiration;
        to.MaxAge = from.MaxAge;
        return to;
    }

    /// <summary>
    /// The stock builders' behaviour (path base + path, expiry from the flow's lifetime) with the provider's
    /// path, as long as the callback lives under it; an application hook that moves the callback elsewhere
    /// gets the stock scope back (the callback path itself).
    /// </summary>
    private sealed class ScopedCookieBuilder(OpenIdConnectOptions options, string scope, Func<TimeSpan> lifetime) : RequestPathBaseCookieBuilder
    {
        protected override string AdditionalPath => options.CallbackPath.StartsWithSegments(scope, StringComparison.OrdinalIgnoreCase) ? scope : options.CallbackPath.Value ?? scope;

        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var cookie = base.Build(context, expiresFrom);
            if (!Expiration.HasValue || !cookie.Expires.HasValue)
            {
                cookie.Expires = expiresFrom.Add(lifetime());
            }
            return cookie;
        }
    }
}
