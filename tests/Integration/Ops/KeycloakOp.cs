using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// Keycloak 26 in a container through Testcontainers core (the Keycloak module is not on this package
/// mirror, so the container is built as that module would: image, ports 8080/9000, start-dev, admin
/// env vars, a wait on /health/ready). Each issuer is a fresh realm with a confidential client and
/// users; keys rotate through the admin REST API. Reached through a <see cref="LoopbackProxy"/>, which
/// counts requests at Keycloak's door and can hide a kid or make the JWKS answer 503.
/// Skipped, with its reason, where no Docker engine exists.
/// </summary>
public sealed class KeycloakOp : IOpFixture
{
    public const string Image = "quay.io/keycloak/keycloak:26.0";
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private IContainer? _container;
    private LoopbackProxy? _proxy;
    private string _publicUrl = "";
    private int _realmSerial;

    public string Name => "keycloak";

    /// <summary>Keycloak types its access tokens <c>JWT</c>, not RFC 9068's <c>at+jwt</c>.</summary>
    public string AccessTokenType => "JWT";

    public string? SkipReason { get; } = DetectDocker();

    internal static string? DetectDocker()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 })
        {
            return null;
        }
        const string socket = "/var/run/docker.sock";
        if (!File.Exists(socket))
        {
            return $"No Docker engine on this machine (DOCKER_HOST unset, {socket} absent): the Keycloak variants need one to run {Image} through Testcontainers.";
        }
        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            probe.Connect(new UnixDomainSocketEndPoint(socket));
            return null;
        }
        catch (SocketException e)
        {
            return $"No Docker engine answers on {socket} ({e.SocketErrorCode}): the Keycloak variants need one to run {Image}.";
        }
    }

    private async Task EnsureStartedAsync()
    {
        await _startGate.WaitAsync();
        try
        {
            if (_container is not null)
            {
                return;
            }
            var proxyPort = RpApp.FreePort();
            _publicUrl = $"http://127.0.0.1:{proxyPort}";
            _proxy = await LoopbackProxy.StartAsync(proxyPort);
            _container = new ContainerBuilder(Image)
                .WithPortBinding(8080, true)
                .WithPortBinding(9000, true)
                .WithEnvironment("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
                .WithEnvironment("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin")
                .WithEnvironment("KC_HEALTH_ENABLED", "true")
                // Every URL Keycloak writes (issuer, endpoints) points at the proxy.
                .WithEnvironment("KC_HOSTNAME", _publicUrl)
                .WithCommand("start-dev")
                // Ready can be reported a moment before the bootstrap admin exists (keycloak#29072), so wait
                // for its log line too, as the Testcontainers Keycloak module does.
                .WithWaitStrategy(Wait.ForUnixContainer()
                    .UntilMessageIsLogged("Created temporary admin user with username \\S+|Added user '[^']+' to realm '[^']+'")
                    .UntilHttpRequestIsSucceeded(r => r.ForPort(9000).ForPath("/health/ready")))
                .Build();
            await _container.StartAsync();
            _proxy.Target = new Uri($"http://{_container.Hostname}:{_container.GetMappedPublicPort(8080)}");
        }
        finally
        {
            _startGate.Release();
        }
    }

    public async Task<IOpIssuer> StartIssuerAsync(string name, OpClient client)
    {
        await EnsureStartedAsync();
        var realm = $"{name}-{Interlocked.Increment(ref _realmSerial)}";
        var admin = await AdminClientAsync();
        var representation = new
        {
            realm,
            enabled = true,
            sslRequired = "none", // plain HTTP through the loopback proxy, whatever address Docker's network gives the client
            users = new[] { "alice", "bob", "admin" }.Select(u => new
            {
                username = u,
                enabled = true,
                firstName = char.ToUpperInvariant(u[0]) + u[1..],
                lastName = "Tester",
                email = $"{u}@example.test",
                emailVerified = true,
                credentials = new[] { new { type = "password", value = u + "-password", temporary = false } },
            }),
            clients = new[]
            {
                new
                {
                    clientId = $"{name}-client",
                    secret = $"{name}-secret-value",
                    enabled = true,
                    protocol = "openid-connect",
                    publicClient = false,
                    clientAuthenticatorType = "client-secret",
                    standardFlowEnabled = true,
                    directAccessGrantsEnabled = false,
                    serviceAccountsEnabled = true, // the client-credentials grant, for the API scenarios
                    redirectUris = client.RedirectUris,
                    // Keycloak's access tokens are JWTs (typ "JWT") signed with the realm's key; the API audience joins them.
                    protocolMappers = new[]
                    {
                        new
                        {
                            name = "oidcrp-api audience",
                            protocol = "openid-connect",
                            protocolMapper = "oidc-audience-mapper",
                            config = new Dictionary<string, string>
                            {
                                ["included.custom.audience"] = AccessTokens.Audience,
                                ["access.token.claim"] = "true",
                                ["id.token.claim"] = "false",
                            },
                        },
                    },
                    attributes = new Dictionary<string, string>
                    {
                        ["pkce.code.challenge.method"] = "S256",
                        ["post.logout.redirect.uris"] = string.Join("##", client.PostLogoutRedirectUris),
                    },
                },
            },
        };
        using var created = await admin.PostAsJsonAsync("/admin/realms", representation);
        created.EnsureSuccessStatusCode();
        return await Realm.CreateAsync(admin, _proxy!, _publicUrl, realm, $"{name}-client", $"{name}-secret-value");
    }

    private Task<HttpClient> AdminClientAsync() =>
        Task.FromResult(new HttpClient(new AdminTokenHandler(_publicUrl)) { BaseAddress = new Uri(_publicUrl) });

    /// <summary>Signs admin REST calls with a master-realm token, fetched again before it expires (60 s by default).</summary>
    private sealed class AdminTokenHandler(string publicUrl) : DelegatingHandler(new SocketsHttpHandler())
    {
        private string? _token;
        private DateTimeOffset _expires;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_token is null || DateTimeOffset.UtcNow > _expires)
            {
                using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, $"{publicUrl}/realms/master/protocol/openid-connect/token")
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "password",
                        ["client_id"] = "admin-cli",
                        ["username"] = "admin",
                        ["password"] = "admin",
                    }),
                };
                using var response = await base.SendAsync(tokenRequest, cancellationToken);
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                _token = body.GetProperty("access_token").GetString();
                _expires = DateTimeOffset.UtcNow.AddSeconds(body.GetProperty("expires_in").GetInt32() / 2.0);
            }
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
        _startGate.Dispose();
    }

    /// <summary>One realm: rotations through key-provider components (rsa-generated), highest priority signs.</summary>
    private sealed class Realm(HttpClient admin, LoopbackProxy proxy, string authority, string realm, string realmId, string clientId, string clientSecret, string signing) : IOpIssuer
    {
        private readonly Stack<string> _history = new();
        private string _signing = signing;
        private string? _staged;
        private int _priority = 200;

        public string Authority => authority;

        public string ClientId => clientId;

        public string ClientSecret => clientSecret;

        private string Prefix => $"/realms/{realm}";

        public static async Task<Realm> CreateAsync(HttpClient admin, LoopbackProxy proxy, string publicUrl, string realm, string clientId, string clientSecret)
        {
            var realmId = (await admin.GetFromJsonAsync<JsonElement>($"/admin/realms/{realm}")).GetProperty("id").GetString()!;
            var components = await admin.GetFromJsonAsync<JsonElement>($"/admin/realms/{realm}/components?type=org.keycloak.keys.KeyProvider");
            var signing = components.EnumerateArray().First(c => c.GetProperty("providerId").GetString() == "rsa-generated").GetProperty("id").GetString()!;
            return new Realm(admin, proxy, $"{publicUrl}/realms/{realm}", realm, realmId, clientId, clientSecret, signing);
        }

        public async Task<string> RotateAsync(RotationMode mode)
        {
            switch (mode)
            {
                case RotationMode.KeepOld:
                    await UpdateAsync(_signing, c => c["active"] = new JsonArray("false")); // passive: published, not signing
                    _history.Push(_signing);
                    _signing = await AddKeyAsync(++_priority);
                    break;
                case RotationMode.DropOld:
                    // The old component is deleted, so it is not remembered for Revert.
                    var old = _signing;
                    _signing = await AddKeyAsync(++_priority);
                    (await admin.DeleteAsync($"/admin/realms/{realm}/components/{old}")).EnsureSuccessStatusCode();
                    break;
                case RotationMode.Stage:
                    _staged = await AddKeyAsync(10); // lower priority: published, not signing
                    break;
                case RotationMode.Promote:
                    _history.Push(_signing);
                    _signing = _staged ?? throw new InvalidOperationException("nothing staged");
                    await UpdateAsync(_signing, c => c["priority"] = new JsonArray((++_priority).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    _staged = null;
                    break;
                case RotationMode.Unpublished:
                    _history.Push(_signing);
                    _signing = await AddKeyAsync(++_priority);
                    proxy.HiddenKids[await KidOfAsync(_signing)] = true;
                    break;
                case RotationMode.Revert:
                    var back = _history.Pop();
                    await UpdateAsync(back, c =>
                    {
                        c["active"] = new JsonArray("true");
                        c["priority"] = new JsonArray((++_priority).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    });
                    _signing = back;
                    break;
            }
            return await KidOfAsync(_signing);
        }

        public Task SetJwksDownAsync(bool down)
        {
            if (down)
            {
                proxy.JwksDown[Prefix] = true;
            }
            else
            {
                proxy.JwksDown.TryRemove(Prefix, out _);
            }
            return Task.CompletedTask;
        }

        public Task<OpCounts> CountsAsync() =>
            Task.FromResult(new OpCounts(proxy.Count(Prefix, "discovery"), proxy.Count(Prefix, "jwks"), proxy.Count(Prefix, "token")));

        private async Task<string> AddKeyAsync(int priority)
        {
            using var response = await admin.PostAsJsonAsync($"/admin/realms/{realm}/components", new
            {
                name = $"rsa-{priority}-{Guid.NewGuid():N}",
                providerId = "rsa-generated",
                providerType = "org.keycloak.keys.KeyProvider",
                parentId = realmId,
                config = new Dictionary<string, string[]>
                {
                    ["priority"] = [priority.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                    ["keySize"] = ["2048"],
                    ["active"] = ["true"],
                    ["enabled"] = ["true"],
                    ["algorithm"] = ["RS256"],
                },
            });
            response.EnsureSuccessStatusCode();
            return response.Headers.Location!.Segments[^1];
        }

        private async Task UpdateAsync(string componentId, Action<JsonObject> change)
        {
            var component = (await admin.GetFromJsonAsync<JsonObject>($"/admin/realms/{realm}/components/{componentId}"))!;
            change(component["config"]!.AsObject());
            (await admin.PutAsJsonAsync($"/admin/realms/{realm}/components/{componentId}", component)).EnsureSuccessStatusCode();
        }

        private async Task<string> KidOfAsync(string componentId)
        {
            var keys = await admin.GetFromJsonAsync<JsonElement>($"/admin/realms/{realm}/keys");
            return keys.GetProperty("keys").EnumerateArray()
                .First(k => k.GetProperty("providerId").GetString() == componentId && k.GetProperty("use").GetString() == "SIG")
                .GetProperty("kid").GetString()!;
        }

        public Task<string> ClientCredentialsTokenAsync() =>
            AccessTokens.ClientCredentialsAsync($"{authority}/protocol/openid-connect/token", clientId, clientSecret);

        public ValueTask DisposeAsync()
        {
            admin.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
