using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace OidcRp.Samples.Gateway;

/// <summary>
/// The service behind the gateway: a minimal app on its own loopback port that trusts the gateway. It answers with
/// what the gateway told it about the caller (the <c>X-Gateway-*</c> headers) and counts the requests that reached it.
/// </summary>
public sealed class Backend : IAsyncDisposable
{
    private int _requests;

    private Backend(WebApplication app, string url)
    {
        App = app;
        Url = url;
    }

    public WebApplication App { get; }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:5091</c>.</summary>
    public string Url { get; }

    /// <summary>Requests that reached the backend (a refused token never does).</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<Backend> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Backend? backend = null;
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref backend!._requests);
            return next(context);
        });
        app.MapGet("/orders/{**rest}", (HttpContext context, string? rest) => Results.Ok(new
        {
            service = "orders",
            path = context.Request.Path.Value,
            provider = context.Request.Headers[GatewayApp.ProviderHeader].ToString(),
            subject = context.Request.Headers[GatewayApp.SubjectHeader].ToString(),
        }));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        backend = new Backend(app, url);
        return backend;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
