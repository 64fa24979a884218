namespace OidcRp.Tests.Support;

/// <summary>The test OP's access tokens for bearer tests: RFC 9068 JWTs signed with its current key (or any given key).</summary>
public sealed partial class TestOp
{
    /// <summary>
    /// An access token as an OP issues it after a client-credentials or code grant: <c>typ</c> <paramref name="typ"/>,
    /// <c>iss</c> this OP, <c>aud</c> <paramref name="audience"/>, <c>scope</c>, <c>sub</c>, <c>client_id</c>, <c>iat</c>,
    /// <c>exp</c> and <c>jti</c>. <paramref name="claims"/> adds or replaces claims (a null value removes one);
    /// <paramref name="kid"/> replaces the header's kid (empty: none); <paramref name="key"/> signs instead of the current key.
    /// </summary>
    public string CreateAccessToken(string audience = "api", string? scope = "api.read", string typ = "at+jwt", string? kid = null,
        IDictionary<string, object?>? claims = null, TestSigningKey? key = null)
    {
        var signing = key ?? Signing!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object?>
        {
            ["iss"] = TokenIssuer, ["aud"] = audience, ["sub"] = NextSubject, ["client_id"] = ClientId,
            ["iat"] = now, ["exp"] = now + 300, ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (scope is not null)
        {
            payload["scope"] = scope;
        }
        if (PublishIssuerTemplate && Tenant is not null)
        {
            payload["tid"] = Tenant;
        }
        foreach (var (name, value) in claims ?? new Dictionary<string, object?>())
        {
            if (value is null)
            {
                payload.Remove(name);
            }
            else
            {
                payload[name] = value;
            }
        }
        var header = new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = typ };
        var headerKid = kid ?? signing.Kid;
        if (headerKid.Length > 0)
        {
            header["kid"] = headerKid;
        }
        return signing.Sign(header, payload);
    }
}
