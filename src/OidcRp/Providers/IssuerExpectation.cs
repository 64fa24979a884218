namespace OidcRp.Providers;

/// <summary>
/// What a provider's discovery document must publish as its <c>issuer</c> (OIDC Discovery §4.3: identical to the
/// issuer the document was looked up with). Entra ID is the one family whose documents cannot follow that letter:
/// multi-tenant authorities publish a template, v1 and domain authorities publish an issuer on another path or host.
/// Those are accepted exactly as <see cref="EntraAuthority"/> lists them, nothing looser.
/// </summary>
internal sealed class IssuerExpectation
{
    private readonly string? _exact;
    private readonly string? _template;
    private readonly string? _concrete;
    private readonly string? _concreteTenant;

    // _exact: that issuer. _template: the template itself, ordinal. _concrete: that template with one GUID tenant
    // substituted, which must be _concreteTenant unless it is null (any tenant).
    private IssuerExpectation(string? exact, string? template, string? concrete, string? concreteTenant)
    {
        _exact = exact;
        _template = template;
        _concrete = concrete;
        _concreteTenant = concreteTenant;
    }

    /// <summary>Exactly this issuer (a trailing slash aside, as before templates existed).</summary>
    public static IssuerExpectation Exact(string issuer) => new(issuer, null, null, null);

    /// <summary>
    /// The expectation for <paramref name="options"/>; <paramref name="pinned"/> is the issuer the provider loaded with
    /// before, if any. Null when nothing is configured that names an issuer (the first one seen is pinned).
    /// </summary>
    public static IssuerExpectation? For(OidcProviderOptions options, string? pinned)
    {
        if (!string.IsNullOrEmpty(options.IssuerTemplate))
        {
            return new(null, options.IssuerTemplate, null, null);
        }
        if (string.IsNullOrEmpty(options.Issuer) && EntraAuthority.TryParse(options.Authority) is { } entra)
        {
            return entra.Kind switch
            {
                // Discovery of consumers names the consumers tenant's issuer rather than the template: either is theirs.
                EntraTenantKind.Consumers => new(null, entra.Template, entra.Template, IssuerRule.ConsumersTenant),
                EntraTenantKind.TenantId => new(null, null, entra.Template, entra.Tenant),
                // A domain names one tenant whose GUID only the document knows; once loaded, that issuer is pinned.
                EntraTenantKind.TenantDomain => pinned is not null ? Exact(pinned) : new(null, null, entra.Template, null),
                _ => new(null, entra.Template, null, null),
            };
        }
        return (options.ExpectedIssuer ?? pinned) is { } exact ? Exact(exact) : null;
    }

    /// <summary>True when the discovery document's <paramref name="issuer"/> is the expected one.</summary>
    public bool Accepts(string issuer)
    {
        if (_exact is not null)
        {
            return MetadataParser.IssuersEqual(issuer, _exact);
        }
        if (_template is not null && string.Equals(issuer, _template, StringComparison.Ordinal))
        {
            return true;
        }
        return _concrete is not null
            && IssuerRule.Template(_concrete).Match(issuer, out var tenant) == IssuerCheck.Valid
            && (_concreteTenant is null || string.Equals(tenant, _concreteTenant, StringComparison.Ordinal));
    }
}
