using System.Net;
using Microsoft.Extensions.Options;

namespace OidcRp.Providers;

/// <summary>
/// OidcRp's own outbound HTTP: one primary handler for discovery, JWKS and the token endpoint, owned here and
/// disposed with the container.
/// </summary>
/// <remarks>
/// Why not <see cref="IHttpClientFactory"/>: its named clients are a shared configuration bus.
/// <c>ConfigureHttpClientDefaults</c> (which .NET Aspire's service defaults call with
/// <c>AddStandardResilienceHandler()</c>) is an <c>IConfigureOptions&lt;HttpClientFactoryOptions&gt;</c> for every
/// name, ordered before named configuration, and <c>IHttpMessageHandlerBuilderFilter</c>s wrap every pipeline.
/// Through them an app-wide retry turned one JWKS fetch of a 503 into four requests, POSTed one authorization code
/// twice after a 500 (RFC 6749 §4.1.2: a code is single-use), shared one circuit breaker across providers and
/// threw exceptions the fetch did not expect (measured in tests/Hostile/AppHttpDefaultsTests.cs). Undoing them by name (clearing the builder actions after the defaults ran) depends on
/// that ordering and still loses to filters; the resilience package's <c>RemoveAllResilienceHandlers()</c> would
/// make the core depend on Polly. A handler of our own is reached by nothing app-wide. It pools connections like
/// the factory does, and <see cref="SocketsHttpHandler.PooledConnectionLifetime"/> replaces the factory's handler
/// rotation so DNS changes are seen. An app that needs a proxy, a client certificate or a test handler says so
/// through <see cref="OidcRpOptions.HttpHandlerFactory"/>.
/// </remarks>
internal sealed class OidcRpHttp : IDisposable
{
    private static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);
    private readonly HttpMessageHandler _handler;

    public OidcRpHttp(HttpMessageHandler handler)
    {
        _handler = handler;
        Metadata = CreateClient();
    }

    /// <summary>The client of discovery and JWKS GETs; their time limit is the refresher's, not this client's.</summary>
    public HttpClient Metadata { get; }

    public static OidcRpHttp Create(IServiceProvider services, IOptions<OidcRpOptions> options)
    {
        var handler = options.Value.HttpHandlerFactory?.Invoke(services) ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = ConnectionLifetime,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
        };
        // Redirects are OidcRp's decision (same origin only for metadata, none for the token POST): a handler
        // that follows them itself would hand key material or credentials to wherever the OP points.
        switch (handler)
        {
            case SocketsHttpHandler sockets:
                sockets.AllowAutoRedirect = false;
                break;
            case HttpClientHandler client:
                client.AllowAutoRedirect = false;
                break;
        }
        return new OidcRpHttp(handler);
    }

    /// <summary>A client over the shared handler; each may set its own time-out and buffer limit.</summary>
    public HttpClient CreateClient() => new(_handler, disposeHandler: false);

    public void Dispose()
    {
        Metadata.Dispose();
        _handler.Dispose();
    }
}
