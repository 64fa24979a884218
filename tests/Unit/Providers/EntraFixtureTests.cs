using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>
/// Entra ID's real discovery and JWKS documents (tests/Unit/Fixtures/real-world, copied from ../shared/fixtures)
/// load with the issuer rule when configured by Authority alone, and keep being refused where they must be.
/// </summary>
public sealed class EntraFixtureTests
{
    private const string TenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    private static string Fixture(string folder, string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "real-world", folder, name));

    private static OidcProviderOptions Provider(string authority) => new() { Id = "entra", Authority = authority, ClientId = "c" };

    [Theory]
    [InlineData("entra-v2-common", "https://login.microsoftonline.com/common/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0")]
    [InlineData("entra-v2-organizations", "https://login.microsoftonline.com/organizations/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0")]
    [InlineData("entra-v1-common", "https://login.microsoftonline.com/common", "https://sts.windows.net/{tenantid}/")]
    public void The_real_documents_load_with_the_template_rule(string folder, string authority, string template)
    {
        var options = Provider(authority);

        var (configuration, error) = MetadataParser.ParseDiscovery(Fixture(folder, "discovery.json"), IssuerExpectation.For(options, null), requireHttps: true);

        Assert.Null(error);
        Assert.Equal(template, configuration!.Issuer);
        var rule = IssuerRule.For(options, configuration.Issuer);
        Assert.True(rule.IsTemplate);
        Assert.Equal(template, rule.Issuer);
        Assert.Equal(IssuerCheck.Valid, rule.Check(template.Replace("{tenantid}", TenantA, StringComparison.Ordinal), TenantA, out _));
    }

    [Theory]
    [InlineData("entra-v2-common", "https://login.microsoftonline.com/common/v2.0")]
    [InlineData("entra-v1-common", "https://login.microsoftonline.com/common")]
    public void Before_the_rule_the_same_documents_were_an_issuer_mismatch(string folder, string authority)
    {
        var (_, error) = MetadataParser.ParseDiscovery(Fixture(folder, "discovery.json"), authority, requireHttps: true);

        Assert.Equal("discovery_issuer_mismatch", error);
    }

    [Theory]
    [InlineData("entra-v1-common", "https://login.microsoftonline.com/common/v2.0")] // a v1 document where v2 is configured
    [InlineData("entra-v2-common", "https://login.microsoftonline.com/common")] // and the other way round
    [InlineData("entra-v2-common", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")] // a tenant authority is exact
    [InlineData("entra-v2-common", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0")] // a domain names one tenant, never a template
    public void A_template_document_is_refused_where_it_is_not_the_authoritys(string folder, string authority)
    {
        var (_, error) = MetadataParser.ParseDiscovery(Fixture(folder, "discovery.json"), IssuerExpectation.For(Provider(authority), null), requireHttps: true);

        Assert.Equal("discovery_issuer_mismatch", error);
    }

    [Fact]
    public void A_template_document_of_a_lookalike_host_is_refused()
    {
        var json = Fixture("entra-v2-common", "discovery.json")
            .Replace("\"https://login.microsoftonline.com/{tenantid}/v2.0\"", "\"https://login.microsoftonline.com.evil.example/{tenantid}/v2.0\"", StringComparison.Ordinal);

        var (_, error) = MetadataParser.ParseDiscovery(json, IssuerExpectation.For(Provider("https://login.microsoftonline.com/common/v2.0"), null), requireHttps: true);

        Assert.Equal("discovery_issuer_mismatch", error);
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", true)]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "https://login.microsoftonline.com/0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11/v2.0", false)]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com", "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", true)]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "https://evil.example/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", false)]
    [InlineData("https://login.microsoftonline.com/consumers/v2.0", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/consumers/v2.0", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", false)]
    public void Tenant_authorities_accept_their_tenants_concrete_issuer_and_keep_the_exact_rule(string authority, string published, bool accepted)
    {
        var options = Provider(authority);

        Assert.Equal(accepted, IssuerExpectation.For(options, null)!.Accepts(published));
        if (accepted && !authority.Contains("consumers", StringComparison.Ordinal))
        {
            Assert.False(IssuerRule.For(options, published).IsTemplate);
            Assert.True(IssuerExpectation.For(options, pinned: published)!.Accepts(published)); // a domain's first issuer is pinned
        }
    }

    [Fact]
    public void A_domain_authority_keeps_the_tenant_it_first_loaded()
    {
        var options = Provider("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0");

        var expected = IssuerExpectation.For(options, pinned: $"https://login.microsoftonline.com/{TenantA}/v2.0")!;

        Assert.False(expected.Accepts("https://login.microsoftonline.com/0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11/v2.0"));
    }

    [Fact]
    public void The_v2_common_key_set_binds_the_consumers_keys_to_the_consumers_tenant()
    {
        var (keys, error) = MetadataParser.ParseJwks(Fixture("entra-v2-common", "jwks.json"), maxKeys: 32);

        Assert.Null(error);
        var issuers = keys!.SigningKeys.ToDictionary(k => k.KeyId, k => keys.Bindings.For(k)?.Issuer);
        Assert.Equal(9, issuers.Count);
        Assert.Equal(6, issuers.Values.Count(i => i == "https://login.microsoftonline.com/{tenantid}/v2.0"));
        Assert.Equal(3, issuers.Values.Count(i => i == $"https://login.microsoftonline.com/{IssuerRule.ConsumersTenant}/v2.0"));
    }
}
