using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Providers;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>
/// The discovery and JWKS documents real providers publish (Fixtures/real-world, Fixtures/keycloak-26), loaded by the
/// refresher through an HTTP seam that serves them at their published addresses: each loads, exactly the right kids are
/// usable, and the login endpoint's authorization request uses what the provider offers (the response mode, or a
/// pushed request, and the client authentication of the push).
/// </summary>
public sealed class RealProviderFixtureTests
{
    /// <summary>One fixture as a user would configure it, and what OidcRp must make of it.</summary>
    public sealed record Fixture(
        string Folder, string Authority, string? Issuer, string[] Kids, string Request, string ClientAuthentication, bool SyntheticJwks = false)
    {
        public override string ToString() => Folder;
    }

    // Every fixture is configured by Authority alone, as a new user would (Entra's multi-tenant authorities load
    // through the {tenantid} issuer template rule).
    public static TheoryData<Fixture> Fixtures => new()
    {
        new("real-world/apple", "https://appleid.apple.com", null, ["FftONTxoEg", "T8tIJ1zSrO", "pggnQeNCOU"], "form_post", "client_secret_post"),
        new("real-world/auth0", "https://dev-ltxchcls4igzho78.us.auth0.com", null, ["NKxtg1GbhZJBVcnBjtSqI", "tMQzailSAdaW4nojXxES9"], "form_post", "client_secret_basic"),
        // Cognito: no JWKS was captured; a synthetic one stands in so the request can be built.
        new("real-world/aws-cognito-hosted-domain", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_4OqDoWVrZ", null, ["synthetic-cognito"], "query", "client_secret_basic", SyntheticJwks: true),
        new("real-world/entra-v1-common", "https://login.microsoftonline.com/common", null,
            ["l3sQ-50cCH4xBVZLHTGwnSR7680", "nOo3ZDrODXEK1jKWhXslHR_KXEg"], "form_post", "client_secret_basic"),
        new("real-world/entra-v2-common", "https://login.microsoftonline.com/common/v2.0", null,
            ["3PaK4EfyBNQu3CtjYsa3YmhQ5E0", "8IIDH6M8c3cXoeojKme8Jvqsr2Y", "8PXQDb4mOmolu_BtG3jDX4qR2xU", "JtFIBUJIB08c2tNR1DqBd0a_RjY", "Mc7l3Iz93g7uwgNeEmmw_WYGPko",
             "d-Zi0Gbus4sEaOqXgU8pMvYc3KI", "iE89_EVhreMiV2-8rKE2zWBUm3M", "iw1BXXcybk07kmtIeeJeIYqas18", "k8kbXTgyy1QKJ54n61Qg3OldE_E"], "form_post", "client_secret_basic"),
        new("real-world/entra-v2-organizations", "https://login.microsoftonline.com/organizations/v2.0", null,
            ["3PaK4EfyBNQu3CtjYsa3YmhQ5E0", "8PXQDb4mOmolu_BtG3jDX4qR2xU", "Mc7l3Iz93g7uwgNeEmmw_WYGPko", "d-Zi0Gbus4sEaOqXgU8pMvYc3KI", "iw1BXXcybk07kmtIeeJeIYqas18",
             "k8kbXTgyy1QKJ54n61Qg3OldE_E"], "form_post", "client_secret_basic"),
        new("real-world/google", "https://accounts.google.com", null, ["73e25f9789119c7875d58087a78ac23f5ef2eda3", "c88d809f4db943df53da7accfd47764d05ba391f"], "query", "client_secret_basic"),
        new("real-world/okta-custom-as", "https://trial-6095961.okta.com/oauth2/aus17ole72l3gv8RR698", null, ["oDlyR7kVcT0V62sgjgNyn8LboD-pSopoVfWPRqDb5gA"], "par:form_post", "client_secret_basic"),
        // Keycloak: the use:enc RSA-OAEP key is published beside the signing key and must be ignored.
        new("keycloak-26", "http://localhost:8180/realms/sso-realm", null, ["hAg04UyU4mu1YKj6CZUYjMP31O5wgaXQKYUU2OgvjsE"], "par:form_post", "client_secret_basic"),
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Each_fixture_loads_with_exactly_its_signing_kids_and_asks_what_the_provider_offers(Fixture fixture)
    {
        using var synthetic = fixture.SyntheticJwks ? TestSigningKey.Create("synthetic-cognito") : null;
        var op = new FixtureHandler(fixture.Folder, synthetic);
        await using var rp = await RpApp.StartAsync([], o =>
        {
            o.HttpHandlerFactory = _ => op;
            o.Providers["real"] = new OidcProviderOptions
            {
                Authority = fixture.Authority,
                Issuer = fixture.Issuer,
                ClientId = "client id:é",
                ClientSecret = "secret with + and :",
                RequireHttpsMetadata = fixture.Authority.StartsWith("https:", StringComparison.Ordinal),
            };
        });
        using var browser = rp.Browser();

        using var response = await browser.GetAsync("/auth/oidc/real/login?returnUrl=%2F");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var snapshot = rp.Services.GetRequiredService<OidcProviderRegistry>().Find("real")!.Snapshot!;
        Assert.Equal(fixture.Kids.Order(StringComparer.Ordinal), snapshot.Kids.Order(StringComparer.Ordinal));
        Assert.Equal(fixture.Kids.Length, snapshot.SigningKeys.Count);
        var location = response.Headers.Location!;
        Assert.Equal(snapshot.Configuration.AuthorizationEndpoint, location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query).ToDictionary(q => q.Key, q => q.Value.ToString());
        var request = query;
        if (fixture.Request.StartsWith("par:", StringComparison.Ordinal))
        {
            // RFC 9126 §4: the browser carries only client_id and the request_uri; the parameters went to the PAR endpoint.
            Assert.Equal(["client_id", "request_uri"], query.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(FixtureHandler.RequestUri, query["request_uri"]);
            var push = Assert.Single(op.Pushes);
            Assert.Equal(snapshot.Configuration.PushedAuthorizationRequestEndpoint, push.Endpoint);
            Assert.Equal(fixture.ClientAuthentication, push.ClientAuthentication);
            request = push.Parameters;
        }
        else
        {
            Assert.Empty(op.Pushes);
        }
        var mode = fixture.Request.Replace("par:", "", StringComparison.Ordinal);
        Assert.Equal(mode == "query" ? null : mode, request.GetValueOrDefault("response_mode"));
        Assert.Contains(mode, snapshot.Configuration.ResponseModesSupported.DefaultIfEmpty("query"));
        Assert.Equal(("S256", "code"), (request["code_challenge_method"], request["response_type"]));
        Assert.Equal(fixture.ClientAuthentication, OidcRp.Callback.ProviderRequests.ClientAuthentication(snapshot.Configuration, null));
    }

    /// <summary>Serves one fixture's documents at the addresses they name; answers a PAR push; throws on anything else.</summary>
    private sealed class FixtureHandler(string folder, TestSigningKey? synthetic) : HttpMessageHandler
    {
        public const string RequestUri = "urn:ietf:params:oauth:request_uri:fixture";

        private readonly string _discovery = Read(folder, "discovery.json");

        public ConcurrentQueue<(string Endpoint, string ClientAuthentication, Dictionary<string, string> Parameters)> Pushes { get; } = new();

        private static string Read(string folder, string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", folder, file));

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var discovery = JsonDocument.Parse(_discovery);
            string? Member(string name) => discovery.RootElement.TryGetProperty(name, out var v) ? v.GetString() : null;
            var url = request.RequestUri!.AbsoluteUri;
            if (request.Method == HttpMethod.Get && url.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal))
            {
                return FakeOpHttpHandler.Json(_discovery);
            }
            if (request.Method == HttpMethod.Get && url == Member("jwks_uri"))
            {
                return FakeOpHttpHandler.Json(synthetic is null ? Read(folder, "jwks.json") : TestSigningKey.Jwks([synthetic]));
            }
            if (request.Method == HttpMethod.Post && url == Member("pushed_authorization_request_endpoint"))
            {
                var form = QueryHelpers.ParseQuery(await request.Content!.ReadAsStringAsync(cancellationToken)).ToDictionary(q => q.Key, q => q.Value.ToString());
                var basic = request.Headers.Authorization is { Scheme: "Basic" } header
                    && Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter!)) == "client+id%3A%C3%A9:secret+with+%2B+and+%3A";
                var post = form.GetValueOrDefault("client_secret") == "secret with + and :";
                Pushes.Enqueue((url, (basic, post) switch { (true, false) => "client_secret_basic", (false, true) => "client_secret_post", _ => "invalid" }, form));
                return new HttpResponseMessage(HttpStatusCode.Created)
                {
                    Content = new StringContent($$"""{"request_uri":"{{RequestUri}}","expires_in":60}""", Encoding.UTF8, "application/json"),
                };
            }
            throw new InvalidOperationException($"Unexpected request {request.Method} {url}");
        }
    }
}
