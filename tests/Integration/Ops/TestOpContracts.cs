namespace OidcRp.Tests.Integration.Ops;

/// <summary>How a test OP changes its signing key at runtime.</summary>
public enum RotationMode
{
    /// <summary>A new key signs; the old one stays published (Keycloak's "passive").</summary>
    KeepOld,

    /// <summary>A new key signs; the old one is no longer published (Keycloak's "disabled"/deleted).</summary>
    DropOld,

    /// <summary>The next key is published but does not sign yet.</summary>
    Stage,

    /// <summary>The staged key starts signing.</summary>
    Promote,

    /// <summary>A new key signs that the JWKS never shows (a forgery-shaped failure).</summary>
    Unpublished,

    /// <summary>The key that signed before the last rotation signs again.</summary>
    Revert,
}

/// <summary>The RP's client as the OP registers it: where logins and logouts may return to.</summary>
public sealed record OpClient(IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris);

/// <summary>Requests the OP has seen, counted at the OP (not inside the library).</summary>
public sealed record OpCounts(int Discovery, int Jwks, int Token);

/// <summary>One issuer of a test OP, with one confidential client registered for the RP.</summary>
public interface IOpIssuer : IAsyncDisposable
{
    string Authority { get; }

    string ClientId { get; }

    string ClientSecret { get; }

    /// <summary>Rotates the signing key; returns the kid that signs afterwards.</summary>
    Task<string> RotateAsync(RotationMode mode);

    /// <summary>Makes the JWKS endpoint answer 503 (or serve again).</summary>
    Task SetJwksDownAsync(bool down);

    Task<OpCounts> CountsAsync();

    /// <summary>Changes the client's secret at the OP; false when this OP cannot (the scenario then skips).</summary>
    Task<bool> TryChangeClientSecretAsync(string secret) => Task.FromResult(false);

    /// <summary>The audience (<c>aud</c>) the OP's JWT access tokens for the test API carry.</summary>
    string ApiAudience => AccessTokens.Audience;

    /// <summary>
    /// A JWT access token for <see cref="ApiAudience"/> from the client-credentials grant (RFC 6749 §4.4) at the OP's
    /// token endpoint (counted as a token request), signed with the keys of the JWKS the login uses, so a rotation
    /// reaches both paths. Throws when the OP refuses.
    /// </summary>
    Task<string> ClientCredentialsTokenAsync();
}

/// <summary>A kind of identity provider the scenarios run against.</summary>
public interface IOpFixture : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Why this OP cannot run here, or null when it can.</summary>
    string? SkipReason { get; }

    /// <summary>Starts a fresh issuer with one confidential client for the RP. Users: alice, bob, admin (password: name + "-password").</summary>
    Task<IOpIssuer> StartIssuerAsync(string name, OpClient client);

    /// <summary>
    /// Why this OP cannot express a rotation shape, or null when it can. A scenario needing a shape the OP
    /// cannot express skips with this reason (named, and counted by .ci/run), never silently.
    /// </summary>
    string? CannotRotate(RotationMode mode) => null;

    /// <summary>Why this OP cannot issue JWT access tokens for the test API, or null when it can (bearer scenarios skip with it).</summary>
    string? CannotIssueAccessTokens => null;

    /// <summary>The JOSE <c>typ</c> of this OP's access tokens: RFC 9068's <c>at+jwt</c>, or <c>JWT</c> (Keycloak, LemonLDAP::NG).</summary>
    string AccessTokenType => "at+jwt";

    /// <summary>Whether <see cref="IOpIssuer.RotateAsync"/> can produce <paramref name="mode"/> at this OP.</summary>
    bool CanRotate(RotationMode mode) => CannotRotate(mode) is null;

    /// <summary>
    /// What the browser types into the OP's login form for a scenario user (alice, bob, admin). The
    /// default is the user and name + "-password"; an OP with fixed built-in users maps them.
    /// </summary>
    (string Username, string Password) Credentials(string user) => (user, user + "-password");
}
