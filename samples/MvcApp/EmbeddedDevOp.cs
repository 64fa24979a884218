using System.Net;
using System.Net.Sockets;
using OidcRp.Samples.DevOp;

namespace OidcRp.Samples.MvcApp;

/// <summary>
/// The two development issuers ("alpha" and "beta") the sample starts in-process when no provider is
/// configured, in the Development environment only. Each runs OpenIddict on its own loopback port with a
/// confidential client registered for this app's callback and sign-out URLs.
/// </summary>
public sealed class EmbeddedDevOp : IAsyncDisposable
{
    private EmbeddedDevOp(IReadOnlyDictionary<string, DevOpServer> issuers) => Issuers = issuers;

    public IReadOnlyDictionary<string, DevOpServer> Issuers { get; }

    public static async Task<EmbeddedDevOp> StartAsync(Uri appBase, IConfiguration settings)
    {
        var issuers = new Dictionary<string, DevOpServer>(StringComparer.Ordinal);
        foreach (var (name, port) in new[] { ("alpha", settings.GetValue("AlphaPort", 0)), ("beta", settings.GetValue("BetaPort", 0)) })
        {
            issuers[name] = await DevOpServer.StartAsync(new DevOpIssuerOptions
            {
                Name = name,
                Port = port,
                ClientId = $"mvcapp-{name}",
                // A fresh secret per run: the OP and the app share a process and nothing else (the farm script sets
                // Sample:DevOp:ClientSecret so its second instance can use this OP too).
                ClientSecret = settings["ClientSecret"] ?? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)),
                RedirectUris = [.. AppBases(appBase, settings).Select(b => new Uri(b, $"/auth/oidc/{name}/callback").AbsoluteUri)],
                PostLogoutRedirectUris = [.. AppBases(appBase, settings).Select(b => new Uri(b, $"/auth/oidc/{name}/signout-callback").AbsoluteUri)],
            });
        }
        return new EmbeddedDevOp(issuers);
    }

    // The app itself, and the other instances of a farm (Sample:DevOp:OtherAppBases, samples/farm.sh).
    private static IEnumerable<Uri> AppBases(Uri appBase, IConfiguration settings) =>
        settings.GetSection("OtherAppBases").GetChildren().Select(c => c.Value).OfType<string>().Select(v => new Uri(v)).Prepend(appBase);

    /// <summary>The providers as configuration, the same keys an appsettings.json would hold.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ProviderSettings() => Issuers.SelectMany(i => new Dictionary<string, string?>
    {
        [$"OidcRp:Providers:{i.Key}:DisplayName"] = $"Dev OP {char.ToUpperInvariant(i.Key[0])}{i.Key[1..]}",
        [$"OidcRp:Providers:{i.Key}:Authority"] = i.Value.Issuer,
        [$"OidcRp:Providers:{i.Key}:ClientId"] = i.Value.Options.ClientId,
        [$"OidcRp:Providers:{i.Key}:ClientSecret"] = i.Value.Options.ClientSecret,
        [$"OidcRp:Providers:{i.Key}:Scopes:0"] = "openid",
        [$"OidcRp:Providers:{i.Key}:Scopes:1"] = "profile",
        [$"OidcRp:Providers:{i.Key}:Scopes:2"] = "email",
        [$"OidcRp:Providers:{i.Key}:Scopes:3"] = "roles",
        // The API's scope: the user's access token (saved with Sample:Api:SaveTokens) is then for the API's audience.
        [$"OidcRp:Providers:{i.Key}:Scopes:4"] = i.Value.Options.ApiScope,
        // The development OP serves plain HTTP on loopback.
        [$"OidcRp:Providers:{i.Key}:RequireHttpsMetadata"] = "false",
    });

    /// <summary>A free loopback port, for an app started with port 0 that must register its URLs first.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var issuer in Issuers.Values)
        {
            await issuer.DisposeAsync();
        }
    }
}
