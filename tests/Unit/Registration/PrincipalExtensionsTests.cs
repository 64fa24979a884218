using System.Security.Claims;

namespace OidcRp.Tests.Unit.Registration;

/// <summary>Readers of the signed-in user trust only the claims OidcRp issued itself.</summary>
public sealed class PrincipalExtensionsTests
{
    private static Claim Own(string type, string value) => new(type, value, ClaimValueTypes.String, OidcRpClaimTypes.Issuer);

    private static ClaimsPrincipal User(params ClaimsIdentity[] identities) => new(identities);

    private static ClaimsIdentity Identity(params Claim[] claims) => new(claims, "Cookies", "name", "roles");

    [Fact]
    public void An_oidcrp_sign_in_names_provider_and_subject_from_oidcrps_claims()
    {
        var user = User(Identity(new Claim("sub", "alice", ClaimValueTypes.String, "https://op"), Own(OidcRpClaimTypes.Provider, "alpha"), Own(OidcRpClaimTypes.Subject, "alice")));

        Assert.Equal("alpha", user.GetOidcProvider());
        Assert.Equal("alpha:alice", user.GetOidcAuditActor());
    }

    [Fact]
    public void A_multi_tenant_sign_in_names_the_tenant_between_provider_and_subject()
    {
        const string tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        var user = User(Identity(Own(OidcRpClaimTypes.Provider, "entra"), Own(OidcRpClaimTypes.Tenant, tenant), Own(OidcRpClaimTypes.Subject, "alice")));

        Assert.Equal(tenant, user.GetOidcTenant());
        Assert.Equal($"entra:{tenant}:alice", user.GetOidcAuditActor());
    }

    [Fact]
    public void A_tenant_claim_from_anyone_else_is_not_read()
    {
        var user = User(Identity(Own(OidcRpClaimTypes.Provider, "entra"), new Claim(OidcRpClaimTypes.Tenant, "x", ClaimValueTypes.String, "https://op"),
            Own(OidcRpClaimTypes.Subject, "alice")));

        Assert.Null(user.GetOidcTenant());
        Assert.Equal("entra:alice", user.GetOidcAuditActor());
    }

    [Fact]
    public void A_provider_claim_from_anyone_else_is_not_read()
    {
        // What a token with "oidcrp_provider": "beta" would have produced before the reserved-claim rule.
        var user = User(Identity(new Claim(OidcRpClaimTypes.Provider, "beta", ClaimValueTypes.String, "https://op"), new Claim("sub", "admin"),
            new Claim("name", "mallory")));

        Assert.Null(user.GetOidcProvider());
        Assert.Equal("local:mallory", user.GetOidcAuditActor());
    }

    [Fact]
    public void The_first_claim_of_oidcrps_issuer_wins_over_an_earlier_foreign_one()
    {
        var user = User(Identity(new Claim(OidcRpClaimTypes.Provider, "beta", ClaimValueTypes.String, "https://op"), Own(OidcRpClaimTypes.Provider, "alpha"),
            Own(OidcRpClaimTypes.Subject, "alice")));

        Assert.Equal("alpha", user.GetOidcProvider());
        Assert.Equal("alpha:alice", user.GetOidcAuditActor());
    }

    [Fact]
    public void A_sub_of_another_identity_never_becomes_the_actor()
    {
        var user = User(Identity(Own(OidcRpClaimTypes.Provider, "alpha")), Identity(new Claim("sub", "admin")));

        Assert.Equal("anonymous", user.GetOidcAuditActor()); // an OidcRp identity without its subject fails closed
    }

    [Fact]
    public void Users_oidcrp_did_not_sign_in_read_as_local_and_anonymous()
    {
        Assert.Equal("anonymous", new ClaimsPrincipal(new ClaimsIdentity()).GetOidcAuditActor());
        Assert.Equal("local", User(Identity(new Claim("sub", "x"))).GetOidcAuditActor());
        Assert.Equal("local:alpha:alice", User(Identity(new Claim("name", "alpha:alice"))).GetOidcAuditActor());
    }
}
