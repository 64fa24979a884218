using OidcRp.Tests.Support;
using System.Net;
using System.Text;
using System.Text.Json;

namespace OidcRp.Tests.Unit.Support;

/// <summary>
/// The HTTP seam of unit tests: serves an OP's discovery and JWKS from memory, counts every request,
/// and throws on anything unexpected.
/// </summary>
internal sealed class FakeOpHttpHandler : HttpMessageHandler
{
    private int _discoveryRequests;
    private int _jwksRequests;

    public string Issuer { get; set; } = "https://op.example";

    public List<TestSigningKey> Published { get; } = [];

    /// <summary>When set, the JWKS request waits for it (to hold a fetch in flight).</summary>
    public TaskCompletionSource? JwksGate { get; set; }

    /// <summary>Holds discovery answers until completed.</summary>
    public TaskCompletionSource? DiscoveryGate { get; set; }

    /// <summary>When set, answers the JWKS request instead of the published keys.</summary>
    public Func<HttpResponseMessage>? JwksResponse { get; set; }

    /// <summary>When set, answers the discovery request instead of the default document.</summary>
    public Func<HttpResponseMessage>? DiscoveryResponse { get; set; }

    public string? JwksBody { get; set; }

    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public string DiscoveryJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = Issuer + "/authorize",
        ["token_endpoint"] = Issuer + "/token",
        ["jwks_uri"] = Issuer + "/jwks",
        ["end_session_endpoint"] = Issuer + "/logout",
        ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        ["response_types_supported"] = new[] { "code" },
        ["subject_types_supported"] = new[] { "public" },
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (request.Method == HttpMethod.Get && path == "/.well-known/openid-configuration")
        {
            Interlocked.Increment(ref _discoveryRequests);
            if (DiscoveryGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            return DiscoveryResponse?.Invoke() ?? Json(DiscoveryJson());
        }
        if (request.Method == HttpMethod.Get && path == "/jwks")
        {
            Interlocked.Increment(ref _jwksRequests);
            if (JwksGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            if (JwksResponse is { } respond)
            {
                return respond();
            }
            return Json(JwksBody ?? TestSigningKey.Jwks(Published));
        }
        throw new InvalidOperationException($"Unexpected request {request.Method} {request.RequestUri}");
    }

    public static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
