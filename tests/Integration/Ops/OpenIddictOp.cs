using OidcRp.Samples.DevOp;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// The sample's development OP (OpenIddict's server), one in-process Kestrel host per issuer on
/// 127.0.0.1. Its keys rotate through <see cref="DevOpKeys"/>; it counts requests at its own door.
/// Never skipped.
/// </summary>
public sealed class OpenIddictOp : IOpFixture
{
    public string Name => "openiddict";

    public string? SkipReason => null;

    public async Task<IOpIssuer> StartIssuerAsync(string name, OpClient client) =>
        new Issuer(await DevOpServer.StartAsync(new DevOpIssuerOptions
        {
            Name = name,
            ClientId = $"{name}-client",
            ClientSecret = $"{name}-secret-value",
            RedirectUris = client.RedirectUris,
            PostLogoutRedirectUris = client.PostLogoutRedirectUris,
        }));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Issuer(DevOpServer server) : IOpIssuer
    {
        public string Authority => server.Issuer;

        public string ClientId => server.Options.ClientId;

        public string ClientSecret => server.Options.ClientSecret;

        public Task<string> RotateAsync(RotationMode mode) => Task.FromResult(server.Rotate(mode switch
        {
            RotationMode.KeepOld => DevOpRotation.KeepOld,
            RotationMode.DropOld => DevOpRotation.DropOld,
            RotationMode.Stage => DevOpRotation.Stage,
            RotationMode.Promote => DevOpRotation.Promote,
            RotationMode.Unpublished => DevOpRotation.Unpublished,
            RotationMode.Revert => DevOpRotation.Revert,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        }).SigningKid);

        public Task SetJwksDownAsync(bool down)
        {
            server.JwksDown = down;
            return Task.CompletedTask;
        }

        public Task<OpCounts> CountsAsync()
        {
            var counts = server.Counts;
            return Task.FromResult(new OpCounts(counts.Discovery, counts.Jwks, counts.Token));
        }

        public async Task<bool> TryChangeClientSecretAsync(string secret)
        {
            await server.ChangeClientSecretAsync(secret);
            return true;
        }

        public Task<string> ClientCredentialsTokenAsync() => AccessTokens.ClientCredentialsAsync(
            $"{server.Issuer}connect/token", server.Options.ClientId, server.Options.ClientSecret, ("scope", server.Options.ApiScope));

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
