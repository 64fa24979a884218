using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>
/// Many issuers on one Kestrel at 127.0.0.1: <c>{base}/{id}</c> serves its discovery document and a 3-key JWKS,
/// for the scale benchmark's thousands of providers.
/// </summary>
internal sealed class MultiIssuerOp : IAsyncDisposable
{
    private readonly List<TestSigningKey> _keys = [TestSigningKey.Create("scale-1"), TestSigningKey.Create("scale-2"), TestSigningKey.Create("scale-3")];
    private WebApplication? _app;
    private string _jwks = "";
    private int _requests;

    public string BaseUrl { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    public string Issuer(string id) => $"{BaseUrl}/{id}";

    public static async Task<MultiIssuerOp> StartAsync()
    {
        var op = new MultiIssuerOp();
        op._jwks = TestSigningKey.Jwks(op._keys);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/{id}/.well-known/openid-configuration", (string id) =>
        {
            Interlocked.Increment(ref op._requests);
            var issuer = op.Issuer(id);
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = issuer,
                ["authorization_endpoint"] = issuer + "/authorize",
                ["token_endpoint"] = issuer + "/token",
                ["jwks_uri"] = issuer + "/jwks",
                ["end_session_endpoint"] = issuer + "/logout",
                ["response_types_supported"] = new[] { "code" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["code_challenge_methods_supported"] = new[] { "S256" },
            });
        });
        app.MapGet("/{id}/jwks", () =>
        {
            Interlocked.Increment(ref op._requests);
            return Results.Text(op._jwks, "application/json");
        });
        await app.StartAsync();
        op._app = app;
        op.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return op;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
