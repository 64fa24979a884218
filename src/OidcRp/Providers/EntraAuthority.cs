namespace OidcRp.Providers;

/// <summary>Which users a Microsoft Entra ID authority signs in, read from its tenant path segment.</summary>
internal enum EntraTenantKind
{
    /// <summary><c>common</c>: work, school and personal Microsoft accounts (any tenant).</summary>
    Common,

    /// <summary><c>organizations</c>: work and school accounts (any tenant but the consumers tenant).</summary>
    Organizations,

    /// <summary><c>consumers</c>: personal Microsoft accounts only (the consumers tenant).</summary>
    Consumers,

    /// <summary>One tenant, named by its GUID.</summary>
    TenantId,

    /// <summary>One tenant, named by a domain (<c>contoso.onmicrosoft.com</c>): its GUID is learned from discovery.</summary>
    TenantDomain,
}

/// <summary>
/// Recognises a Microsoft Entra ID authority of the public cloud and the issuer template its discovery document
/// publishes. Exactly these are recognised (host compared ignoring case, an optional trailing slash):
/// <list type="table">
/// <item><term><c>https://login.microsoftonline.com/{tenant}/v2.0</c></term><description>template <c>https://login.microsoftonline.com/{tenantid}/v2.0</c></description></item>
/// <item><term><c>https://login.microsoftonline.com/{tenant}</c> (v1)</term><description>template <c>https://sts.windows.net/{tenantid}/</c></description></item>
/// </list>
/// where <c>{tenant}</c> is <c>common</c>, <c>organizations</c>, <c>consumers</c>, a tenant GUID or a domain. Other
/// clouds (US Government, China) and other hosts are not guessed: such a provider names its template explicitly with
/// <see cref="OidcProviderOptions.IssuerTemplate"/>, so no host is trusted that the operator did not write down.
/// </summary>
internal sealed record EntraAuthority(EntraTenantKind Kind, string Template, string? Tenant)
{
    internal const string Host = "login.microsoftonline.com";
    internal const string V2Template = "https://login.microsoftonline.com/" + IssuerRule.TenantPlaceholder + "/v2.0";
    internal const string V1Template = "https://sts.windows.net/" + IssuerRule.TenantPlaceholder + "/";

    /// <summary>True when the authority signs in users of more than one tenant (the issuer is a template).</summary>
    public bool IsMultiTenant => Kind is EntraTenantKind.Common or EntraTenantKind.Organizations or EntraTenantKind.Consumers;

    /// <summary>The Entra authority <paramref name="authority"/> names, or null when it is not one.</summary>
    public static EntraAuthority? TryParse(string? authority)
    {
        if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || !string.Equals(uri.Host, Host, StringComparison.OrdinalIgnoreCase) || !uri.IsDefaultPort
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }
        var segments = uri.AbsolutePath.Trim('/').Split('/');
        string template;
        switch (segments)
        {
            case [{ Length: > 0 }]:
                template = V1Template;
                break;
            case [{ Length: > 0 }, "v2.0"]:
                template = V2Template;
                break;
            default:
                return null;
        }
        var tenant = segments[0];
        var kind = tenant.ToUpperInvariant() switch
        {
            "COMMON" => EntraTenantKind.Common,
            "ORGANIZATIONS" => EntraTenantKind.Organizations,
            "CONSUMERS" => EntraTenantKind.Consumers,
            _ when IssuerRule.TryParseTenant(tenant, out _) => EntraTenantKind.TenantId,
            _ when IsDomain(tenant) => EntraTenantKind.TenantDomain,
            _ => (EntraTenantKind?)null,
        };
        if (kind is not { } known)
        {
            return null;
        }
        return new EntraAuthority(known, template, known == EntraTenantKind.TenantId && IssuerRule.TryParseTenant(tenant, out var id) ? id : null);
    }

    // A DNS name of letters, digits, '-' and '.', with a dot (contoso.onmicrosoft.com); never a path trick.
    private static bool IsDomain(string value) =>
        value.Length is > 2 and <= 253 && value.Contains('.', StringComparison.Ordinal) && !value.Contains("..", StringComparison.Ordinal)
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');
}
