using System.Net;
using System.Text;
using System.Text.Json;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>
/// Discovery and JWKS of one issuer served from memory through an <see cref="HttpMessageHandler"/>: the
/// validation micro-benchmarks load the registry through the real fetch and parse code without sockets.
/// </summary>
internal sealed class InMemoryOp : HttpMessageHandler
{
    private int _jwks;

    public string Issuer { get; init; } = "https://op.bench.example";

    public List<TestSigningKey> Published { get; } = [];

    public int JwksRequests => Volatile.Read(ref _jwks);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        string body;
        if (path == "/.well-known/openid-configuration")
        {
            body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = Issuer,
                ["authorization_endpoint"] = Issuer + "/authorize",
                ["token_endpoint"] = Issuer + "/token",
                ["jwks_uri"] = Issuer + "/jwks",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["response_types_supported"] = new[] { "code" },
            });
        }
        else if (path == "/jwks")
        {
            Interlocked.Increment(ref _jwks);
            body = TestSigningKey.Jwks(Published);
        }
        else
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        }
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
