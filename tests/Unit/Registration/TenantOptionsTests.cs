namespace OidcRp.Tests.Unit.Registration;

/// <summary>Start-up checks of the multi-tenant settings: every problem reported, nothing guessed.</summary>
public sealed class TenantOptionsTests
{
    private static IReadOnlyList<string> Errors(Action<OidcProviderOptions> configure)
    {
        var provider = new OidcProviderOptions { Authority = "https://login.microsoftonline.com/common/v2.0", ClientId = "c" };
        configure(provider);
        var options = new OidcRpOptions();
        options.Providers["entra"] = provider;
        var result = new OidcRpOptionsValidator().Validate(null, options);
        return result.Failed ? [.. result.Failures] : [];
    }

    [Fact]
    public void A_common_authority_with_guid_tenants_is_valid() =>
        Assert.Empty(Errors(p => p.AllowedTenants.Add("72f988bf-86f1-41af-91ab-2d7cd011db47")));

    [Fact]
    public void A_tenant_that_is_not_a_guid_is_refused() =>
        Assert.Contains(Errors(p => p.AllowedTenants.Add("contoso.onmicrosoft.com")), e => e.Contains("AllowedTenants: 'contoso.onmicrosoft.com'", StringComparison.Ordinal));

    [Theory]
    [InlineData("https://kc.example/realms/acme")]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")]
    public void Allowed_tenants_on_a_single_issuer_provider_are_refused(string authority) =>
        Assert.Contains(Errors(p => { p.Authority = authority; p.AllowedTenants.Add("72f988bf-86f1-41af-91ab-2d7cd011db47"); }),
            e => e.Contains("AllowedTenants applies only to a multi-tenant provider", StringComparison.Ordinal));

    [Fact]
    public void A_template_in_issuer_points_to_issuer_template() =>
        Assert.Contains(Errors(p => p.Issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"), e => e.Contains("IssuerTemplate", StringComparison.Ordinal));

    [Theory]
    [InlineData("https://login.microsoftonline.us/{tenantid}/v2.0", true)]
    [InlineData("https://login.microsoftonline.us/{tenantid}/", true)]
    [InlineData("https://{tenantid}.example/v2.0", false)]
    [InlineData("https://login.example/x{tenantid}/v2.0", false)]
    [InlineData("https://login.example/{tenantid}/{tenantid}", false)]
    [InlineData("https://login.example/v2.0", false)]
    [InlineData("http://login.example/{tenantid}/v2.0", false)]
    public void An_issuer_template_holds_the_placeholder_once_as_a_path_segment(string template, bool valid) =>
        Assert.Equal(valid, Errors(p => p.IssuerTemplate = template).Count == 0);
}
