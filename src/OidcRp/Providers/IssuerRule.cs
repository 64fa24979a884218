using System.Collections.Frozen;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;

namespace OidcRp.Providers;

/// <summary>The outcome of checking an issuer (and tenant) against an <see cref="IssuerRule"/>.</summary>
internal enum IssuerCheck
{
    Valid,

    /// <summary>The issuer is not the provider's (or, for a template, not the template with the token's own tenant).</summary>
    IssuerMismatch,

    /// <summary>A template provider's token has no <c>tid</c>, or one that is not a GUID.</summary>
    TenantInvalid,

    /// <summary>The tenant is valid but not one this provider accepts (<c>AllowedTenants</c>, or the authority's audience).</summary>
    TenantNotAllowed,
}

/// <summary>
/// How a provider's issuer is checked, in one place, for every reader: the ID token's <c>iss</c> (through
/// <see cref="Validator"/>), the RFC 9207 <c>iss</c> parameter (<see cref="Match"/>), a JWKS key's <c>issuer</c>
/// member (<see cref="KeyAllows"/>) and issuer lookups (bearer tokens). Either an exact issuer (OIDC Core §3.1.3.7:
/// <c>iss</c> MUST exactly match) or a template holding <see cref="TenantPlaceholder"/> once (Entra ID multi-tenant
/// authorities): a token's <c>iss</c> must then equal the template with the token's own <c>tid</c> substituted, the
/// <c>tid</c> must be a GUID, and the tenant must be one the provider accepts. Comparisons are ordinal; the tenant is
/// compared as a GUID and reported in its lowercase form.
/// </summary>
internal sealed class IssuerRule
{
    /// <summary>The placeholder Entra ID writes into a multi-tenant issuer.</summary>
    public const string TenantPlaceholder = "{tenantid}";

    /// <summary>The tenant of personal Microsoft accounts: the only tenant of a <c>consumers</c> authority.</summary>
    public const string ConsumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad";

    private const string TenantClaim = "tid";

    private readonly EntraTenantKind _audience;
    private readonly FrozenSet<string> _allowed;
    private IssuerValidator? _validator;

    private IssuerRule(string issuer, bool isTemplate, EntraTenantKind audience, FrozenSet<string> allowed)
    {
        Issuer = issuer;
        IsTemplate = isTemplate;
        _audience = audience;
        _allowed = allowed;
    }

    /// <summary>The exact issuer, or the template.</summary>
    public string Issuer { get; }

    /// <summary>True when <see cref="Issuer"/> is a template and tokens carry their tenant.</summary>
    public bool IsTemplate { get; }

    /// <summary>The tenants allowed to sign in (lowercase GUIDs); empty means any tenant of the authority's audience.</summary>
    public IReadOnlySet<string> AllowedTenants => _allowed;

    public static IssuerRule Exact(string issuer) => new(issuer, false, EntraTenantKind.Common, FrozenSet<string>.Empty);

    /// <summary>A template rule; <paramref name="audience"/> narrows it to Entra's organizations or consumers audience.</summary>
    public static IssuerRule Template(string template, EntraTenantKind audience = EntraTenantKind.Common, IEnumerable<string>? allowedTenants = null)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in allowedTenants ?? [])
        {
            if (TryParseTenant(tenant, out var normalized))
            {
                allowed.Add(normalized);
            }
        }
        return new(template, true, audience, allowed.ToFrozenSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// True when the provider's issuer is a template: <see cref="OidcProviderOptions.IssuerTemplate"/> is set, or the
    /// authority is an Entra ID <c>common</c>, <c>organizations</c> or <c>consumers</c> one (see <see cref="EntraAuthority"/>).
    /// </summary>
    public static bool IsTemplateProvider(OidcProviderOptions options) =>
        !string.IsNullOrEmpty(options.IssuerTemplate)
        || (string.IsNullOrEmpty(options.Issuer) && EntraAuthority.TryParse(options.Authority) is { IsMultiTenant: true });

    /// <summary>The rule for tokens of a provider whose discovery document published <paramref name="discoveryIssuer"/> (already accepted).</summary>
    public static IssuerRule For(OidcProviderOptions options, string discoveryIssuer)
    {
        if (!string.IsNullOrEmpty(options.IssuerTemplate))
        {
            return Template(options.IssuerTemplate, EntraTenantKind.Common, options.AllowedTenants);
        }
        if (string.IsNullOrEmpty(options.Issuer) && EntraAuthority.TryParse(options.Authority) is { IsMultiTenant: true } entra)
        {
            return Template(entra.Template, entra.Kind, options.AllowedTenants);
        }
        return Exact(discoveryIssuer);
    }

    /// <summary>The token handler's issuer check: the rule, with the token's <c>tid</c>; failures are typed exceptions.</summary>
    public IssuerValidator Validator => _validator ??= Validate;

    private string Validate(string issuer, SecurityToken token, TokenValidationParameters parameters) =>
        Check(issuer, TenantOf(token), out var tenant) switch
        {
            IssuerCheck.Valid => issuer,
            IssuerCheck.TenantInvalid => throw new SecurityTokenTenantException("The token's tid is missing or not a GUID."),
            IssuerCheck.TenantNotAllowed => throw new SecurityTokenTenantException("The token's tenant is not allowed for this provider.")
            {
                Reason = OidcRpReasons.TenantNotAllowed, Tenant = tenant,
            },
            _ => throw new SecurityTokenInvalidIssuerException("The token's issuer is not the provider's.") { InvalidIssuer = issuer },
        };

    /// <summary>Checks a token's <c>iss</c> and <c>tid</c>; <paramref name="tenant"/> is the token's tenant (lowercase) when it is a GUID.</summary>
    public IssuerCheck Check(string? iss, string? tid, out string? tenant)
    {
        tenant = null;
        if (!IsTemplate)
        {
            return string.Equals(iss, Issuer, StringComparison.Ordinal) ? IssuerCheck.Valid : IssuerCheck.IssuerMismatch;
        }
        if (!TryParseTenant(tid, out var normalized))
        {
            return IssuerCheck.TenantInvalid;
        }
        tenant = normalized;
        // The token's own tid, as written, is what the issuer must hold: a token of one tenant cannot name another.
        if (!string.Equals(iss, Substitute(Issuer, tid!), StringComparison.Ordinal))
        {
            return IssuerCheck.IssuerMismatch;
        }
        return Allows(normalized) ? IssuerCheck.Valid : IssuerCheck.TenantNotAllowed;
    }

    /// <summary>
    /// Checks an issuer on its own (the RFC 9207 <c>iss</c> parameter, an issuer lookup): exact, or the template with
    /// some GUID tenant in the placeholder's place, which must be allowed; <paramref name="tenant"/> is that tenant.
    /// </summary>
    public IssuerCheck Match(string? iss, out string? tenant)
    {
        tenant = null;
        if (iss is null)
        {
            return IssuerCheck.IssuerMismatch;
        }
        if (!IsTemplate)
        {
            return string.Equals(iss, Issuer, StringComparison.Ordinal) ? IssuerCheck.Valid : IssuerCheck.IssuerMismatch;
        }
        var at = Issuer.IndexOf(TenantPlaceholder, StringComparison.Ordinal);
        var prefix = Issuer[..at];
        var suffix = Issuer[(at + TenantPlaceholder.Length)..];
        if (iss.Length != prefix.Length + 36 + suffix.Length
            || !iss.StartsWith(prefix, StringComparison.Ordinal) || !iss.EndsWith(suffix, StringComparison.Ordinal)
            || !TryParseTenant(iss.Substring(prefix.Length, 36), out var normalized))
        {
            return IssuerCheck.IssuerMismatch;
        }
        tenant = normalized;
        return Allows(normalized) ? IssuerCheck.Valid : IssuerCheck.TenantNotAllowed;
    }

    /// <summary>
    /// A JWKS key whose entry carries an <c>issuer</c> member verifies only tokens whose <c>iss</c> equals it, with the
    /// token's own <c>tid</c> substituted when the member is a template (Entra ID publishes both kinds in one key set:
    /// the consumers tenant's keys sign for that tenant only). A key without the member is not restricted here.
    /// </summary>
    public static bool KeyAllows(string? keyIssuer, SecurityToken token)
    {
        if (keyIssuer is null)
        {
            return true;
        }
        var expected = keyIssuer;
        if (keyIssuer.Contains(TenantPlaceholder, StringComparison.Ordinal))
        {
            if (TenantOf(token) is not { } tid || !TryParseTenant(tid, out _))
            {
                return false;
            }
            expected = Substitute(keyIssuer, tid);
        }
        return string.Equals(expected, token.Issuer, StringComparison.Ordinal);
    }

    /// <summary>The issuer of <paramref name="tenant"/> under this rule (the exact issuer when it is not a template).</summary>
    public string IssuerOf(string tenant) => IsTemplate ? Substitute(Issuer, tenant) : Issuer;

    /// <summary>True for a GUID in its 36-character form (either case); <paramref name="normalized"/> is it in lowercase.</summary>
    public static bool TryParseTenant(string? value, out string normalized)
    {
        normalized = "";
        if (value is not { Length: 36 } || !Guid.TryParseExact(value, "D", out var guid))
        {
            return false;
        }
        normalized = guid.ToString("D");
        return true;
    }

    /// <summary>The <c>tid</c> claim of a token, when it is a string.</summary>
    public static string? TenantOf(SecurityToken? token) =>
        token is JsonWebToken jwt && jwt.TryGetPayloadValue<string>(TenantClaim, out var tid) ? tid : null;

    private bool Allows(string tenant)
    {
        var inAudience = _audience switch
        {
            EntraTenantKind.Consumers => tenant == ConsumersTenant,
            EntraTenantKind.Organizations => tenant != ConsumersTenant, // work and school accounts only
            _ => true,
        };
        return inAudience && (_allowed.Count == 0 || _allowed.Contains(tenant));
    }

    private static string Substitute(string template, string tenant) =>
        template.Replace(TenantPlaceholder, tenant, StringComparison.Ordinal);
}

/// <summary>A template provider refused the token's tenant: <c>tid</c> missing or not a GUID, or a tenant not allowed.</summary>
internal sealed class SecurityTokenTenantException : SecurityTokenInvalidIssuerException
{
    public SecurityTokenTenantException()
    {
    }

    public SecurityTokenTenantException(string message) : base(message)
    {
    }

    public SecurityTokenTenantException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary><see cref="OidcRpReasons.TenantInvalid"/> or <see cref="OidcRpReasons.TenantNotAllowed"/>.</summary>
    public string Reason { get; init; } = OidcRpReasons.TenantInvalid;

    /// <summary>The refused tenant (a lowercase GUID), for the audit row.</summary>
    public string? Tenant { get; init; }
}
