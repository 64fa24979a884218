using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>The issuer rule: exact issuers, Entra ID templates, tenants, hosts, trailing slashes and case.</summary>
public sealed class IssuerRuleTests
{
    private const string V2 = "https://login.microsoftonline.com/{tenantid}/v2.0";
    private const string V1 = "https://sts.windows.net/{tenantid}/";
    private const string TenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string TenantB = "0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11";

    private static OidcProviderOptions Provider(string authority, params string[] allowed)
    {
        var options = new OidcProviderOptions { Id = "entra", Authority = authority, ClientId = "c" };
        foreach (var tenant in allowed)
        {
            options.AllowedTenants.Add(tenant);
        }
        return options;
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/common/v2.0", "Common", V2)]
    [InlineData("https://login.microsoftonline.com/common/v2.0/", "Common", V2)]
    [InlineData("https://LOGIN.microsoftonline.com/Organizations/v2.0", "Organizations", V2)]
    [InlineData("https://login.microsoftonline.com/consumers/v2.0", "Consumers", V2)]
    [InlineData("https://login.microsoftonline.com/common", "Common", V1)]
    [InlineData("https://login.microsoftonline.com/common/", "Common", V1)]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "TenantId", V2)]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "TenantDomain", V2)]
    public void Entra_authorities_of_the_public_cloud_are_recognised(string authority, string kind, string template)
    {
        var entra = EntraAuthority.TryParse(authority);

        Assert.NotNull(entra);
        Assert.Equal((kind, template), (entra.Kind.ToString(), entra.Template));
    }

    [Theory]
    [InlineData("http://login.microsoftonline.com/common/v2.0")] // not https
    [InlineData("https://login.microsoftonline.com:8443/common/v2.0")] // another port
    [InlineData("https://login.microsoftonline.us/common/v2.0")] // another cloud: IssuerTemplate names it explicitly
    [InlineData("https://login.microsoftonline.com.evil.example/common/v2.0")]
    [InlineData("https://evil.example/login.microsoftonline.com/common/v2.0")]
    [InlineData("https://login.microsoftonline.com/common/v2.0?x=1")]
    [InlineData("https://login.microsoftonline.com/common/v3.0")]
    [InlineData("https://login.microsoftonline.com/common/oauth2/v2.0")]
    [InlineData("https://login.microsoftonline.com/..%2Fcommon/v2.0")]
    [InlineData("https://login.microsoftonline.com/")]
    [InlineData("https://kc.example/realms/common")]
    public void Other_authorities_are_not_entra(string authority) => Assert.Null(EntraAuthority.TryParse(authority));

    [Theory]
    [InlineData("https://login.microsoftonline.com/common/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/organizations/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/consumers/v2.0", true)]
    [InlineData("https://login.microsoftonline.com/common", true)]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", false)]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", false)]
    [InlineData("https://kc.example/realms/acme", false)]
    public void Only_multi_tenant_authorities_make_template_providers(string authority, bool template) =>
        Assert.Equal(template, IssuerRule.IsTemplateProvider(Provider(authority)));

    [Fact]
    public void A_configured_issuer_keeps_an_entra_authority_on_the_exact_rule() =>
        Assert.False(IssuerRule.IsTemplateProvider(new OidcProviderOptions
        {
            Authority = "https://login.microsoftonline.com/common/v2.0", Issuer = $"https://login.microsoftonline.com/{TenantA}/v2.0",
        }));

    [Fact]
    public void A_token_iss_must_be_the_template_with_its_own_tid()
    {
        var rule = IssuerRule.Template(V2);

        Assert.Equal(IssuerCheck.Valid, rule.Check($"https://login.microsoftonline.com/{TenantA}/v2.0", TenantA, out var tenant));
        Assert.Equal(TenantA, tenant);
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check($"https://login.microsoftonline.com/{TenantB}/v2.0", TenantA, out _));
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check(V2, TenantA, out _)); // the template itself is no token issuer
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check($"https://sts.windows.net/{TenantA}/", TenantA, out _)); // v1 issuer on a v2 rule
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check(null, TenantA, out _));
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/{0}/v2.0/")] // trailing slash: exact comparison (OIDC Core §3.1.3.7)
    [InlineData("https://LOGIN.microsoftonline.com/{0}/v2.0")] // case: ordinal
    [InlineData("http://login.microsoftonline.com/{0}/v2.0")]
    [InlineData("https://login.microsoftonline.com/{0}/v2.0?x")]
    [InlineData(" https://login.microsoftonline.com/{0}/v2.0")]
    public void Template_issuers_are_compared_exactly(string format) =>
        Assert.Equal(IssuerCheck.IssuerMismatch, IssuerRule.Template(V2).Check(string.Format(null, format, TenantA), TenantA, out _));

    [Fact]
    public void The_v1_template_keeps_its_trailing_slash()
    {
        var rule = IssuerRule.Template(V1);

        Assert.Equal(IssuerCheck.Valid, rule.Check($"https://sts.windows.net/{TenantA}/", TenantA, out _));
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check($"https://sts.windows.net/{TenantA}", TenantA, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("contoso.onmicrosoft.com")]
    [InlineData("72f988bf86f141af91ab2d7cd011db47")] // a GUID, but not in its 36-character form
    [InlineData("{72f988bf-86f1-41af-91ab-2d7cd011db47}")]
    [InlineData("72f988bf-86f1-41af-91ab-2d7cd011db4")]
    [InlineData("72f988bf-86f1-41af-91ab-2d7cd011db47/../x")]
    [InlineData("common")]
    public void A_tid_that_is_not_a_guid_is_refused(string? tid)
    {
        var iss = $"https://login.microsoftonline.com/{tid}/v2.0";

        Assert.Equal(IssuerCheck.TenantInvalid, IssuerRule.Template(V2).Check(iss, tid, out var tenant));
        Assert.Null(tenant);
    }

    [Fact]
    public void An_uppercase_tid_is_the_same_tenant_in_lowercase_but_the_iss_must_spell_it_the_same_way()
    {
        var upper = TenantA.ToUpperInvariant();
        var rule = IssuerRule.Template(V2, allowedTenants: [TenantA]);

        Assert.Equal(IssuerCheck.Valid, rule.Check($"https://login.microsoftonline.com/{upper}/v2.0", upper, out var tenant));
        Assert.Equal(TenantA, tenant);
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check($"https://login.microsoftonline.com/{TenantA}/v2.0", upper, out _));
    }

    [Fact]
    public void Allowed_tenants_refuse_every_other_tenant()
    {
        var rule = IssuerRule.Template(V2, allowedTenants: [TenantA.ToUpperInvariant()]);

        Assert.Equal(IssuerCheck.Valid, rule.Check($"https://login.microsoftonline.com/{TenantA}/v2.0", TenantA, out _));
        Assert.Equal(IssuerCheck.TenantNotAllowed, rule.Check($"https://login.microsoftonline.com/{TenantB}/v2.0", TenantB, out var tenant));
        Assert.Equal(TenantB, tenant);
    }

    [Fact]
    public void Organizations_refuses_the_consumers_tenant_and_consumers_takes_only_it()
    {
        var consumer = $"https://login.microsoftonline.com/{IssuerRule.ConsumersTenant}/v2.0";
        var work = $"https://login.microsoftonline.com/{TenantA}/v2.0";

        Assert.Equal(IssuerCheck.TenantNotAllowed, IssuerRule.Template(V2, EntraTenantKind.Organizations).Check(consumer, IssuerRule.ConsumersTenant, out _));
        Assert.Equal(IssuerCheck.Valid, IssuerRule.Template(V2, EntraTenantKind.Organizations).Check(work, TenantA, out _));
        Assert.Equal(IssuerCheck.Valid, IssuerRule.Template(V2, EntraTenantKind.Consumers).Check(consumer, IssuerRule.ConsumersTenant, out _));
        Assert.Equal(IssuerCheck.TenantNotAllowed, IssuerRule.Template(V2, EntraTenantKind.Consumers).Check(work, TenantA, out _));
        Assert.Equal(IssuerCheck.Valid, IssuerRule.Template(V2, EntraTenantKind.Common).Check(consumer, IssuerRule.ConsumersTenant, out _));
    }

    [Theory]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "Valid")]
    [InlineData("https://login.microsoftonline.com/0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11/v2.0", "TenantNotAllowed")]
    [InlineData("https://login.microsoftonline.com/{tenantid}/v2.0", "IssuerMismatch")]
    [InlineData("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0", "IssuerMismatch")]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/", "IssuerMismatch")]
    [InlineData("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/x/v2.0", "IssuerMismatch")]
    [InlineData("https://evil.example/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "IssuerMismatch")]
    public void An_issuer_on_its_own_matches_the_template_with_a_guid_tenant(string iss, string expected) =>
        Assert.Equal(expected, IssuerRule.Template(V2, allowedTenants: [TenantA]).Match(iss, out _).ToString());

    [Fact]
    public void The_exact_rule_is_ordinal_and_ignores_tid()
    {
        var rule = IssuerRule.Exact("https://kc.example/realms/acme");

        Assert.Equal(IssuerCheck.Valid, rule.Check("https://kc.example/realms/acme", null, out var tenant));
        Assert.Null(tenant);
        Assert.Equal(IssuerCheck.IssuerMismatch, rule.Check("https://kc.example/realms/ACME", null, out _));
        Assert.Equal(IssuerCheck.Valid, rule.Match("https://kc.example/realms/acme", out _));
        Assert.False(rule.IsTemplate);
    }

    [Fact]
    public void A_key_issuer_member_binds_the_key_to_that_issuer_with_the_tokens_tid()
    {
        static JsonWebToken Token(string iss, string? tid)
        {
            var claims = new Dictionary<string, object> { ["iss"] = iss };
            if (tid is not null)
            {
                claims["tid"] = tid;
            }
            return new JsonWebToken(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor { Claims = claims }));
        }
        var ofA = Token($"https://login.microsoftonline.com/{TenantA}/v2.0", TenantA);
        var consumersKey = $"https://login.microsoftonline.com/{IssuerRule.ConsumersTenant}/v2.0";

        Assert.True(IssuerRule.KeyAllows(null, ofA));
        Assert.True(IssuerRule.KeyAllows(V2, ofA));
        Assert.False(IssuerRule.KeyAllows(consumersKey, ofA)); // the consumers tenant's key never verifies another tenant
        Assert.True(IssuerRule.KeyAllows(consumersKey, Token(consumersKey, IssuerRule.ConsumersTenant)));
        Assert.False(IssuerRule.KeyAllows(V2, Token($"https://login.microsoftonline.com/{TenantA}/v2.0", TenantB)));
        Assert.False(IssuerRule.KeyAllows(V2, Token($"https://login.microsoftonline.com/{TenantA}/v2.0", null)));
        Assert.False(IssuerRule.KeyAllows(V1, ofA)); // a v1 key does not sign v2 tokens
    }

    [Fact]
    public void The_validator_throws_typed_failures_with_the_refused_tenant()
    {
        var rule = IssuerRule.Template(V2, allowedTenants: [TenantA]);
        var token = new JsonWebToken(new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["iss"] = $"https://login.microsoftonline.com/{TenantB}/v2.0", ["tid"] = TenantB },
        }));

        var refused = Assert.Throws<SecurityTokenTenantException>(() => rule.Validator(token.Issuer, token, new TokenValidationParameters()));

        Assert.Equal(("tenant_not_allowed", TenantB), (refused.Reason, refused.Tenant));
        Assert.Equal("tenant_not_allowed", OidcRp.Audit.TokenFailureReasons.From(refused));
    }
}
