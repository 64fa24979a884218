using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OidcRp.Samples.MvcApp;

namespace OidcRp.Tests.Integration.Samples;

/// <summary>
/// The MvcApp sample in-process, as <c>dotnet run --project samples/MvcApp</c> starts it (Development, the embedded
/// development OP), on 127.0.0.1 with an SQLite audit database, and optionally a provider store, in temp files of its
/// own that are deleted on dispose.
/// </summary>
internal sealed class SampleHost : IAsyncDisposable
{
    private readonly string[] _files;

    private SampleHost(WebApplication app, string[] files)
    {
        App = app;
        _files = files;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    public EmbeddedDevOp DevOp => App.Services.GetRequiredService<EmbeddedDevOp>();

    /// <param name="name">names the temp files.</param>
    /// <param name="providerStore">also gives the sample its SQLite provider store (the admin page's "add a provider").</param>
    /// <param name="settings">more command-line settings, e.g. <c>"--OidcRp:Keys:KidMissWindow", "00:30:00"</c>.</param>
    public static async Task<SampleHost> StartAsync(string name, bool providerStore, params string[] settings)
    {
        var audit = Path.Combine(Path.GetTempPath(), $"oidcrp-{name}-audit-{Guid.NewGuid():N}.db");
        var providers = Path.Combine(Path.GetTempPath(), $"oidcrp-{name}-providers-{Guid.NewGuid():N}.db");
        string[] store = providerStore ? ["--ConnectionStrings:OidcRpProviders", $"Data Source={providers}"] : [];
        var app = await SampleApp.BuildAsync(["--environment", "Development", "--urls", "http://127.0.0.1:0",
                "--ConnectionStrings:OidcRpAudit", $"Data Source={audit}", .. store,
                // The in-process OP's first answers (JIT, EF in-memory) can take seconds on a loaded 2-core machine:
                // seen as jwks_unreachable on the first sign-in while the whole suite ran beside other builds.
                "--OidcRp:Keys:FetchTimeout", "00:01:00", .. settings],
            builder => builder.Logging.ClearProviders());
        string[] files = providerStore ? [audit, providers] : [audit];
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await DisposeAsync(app, files);
            throw;
        }
        return new SampleHost(app, files);
    }

    public ValueTask DisposeAsync() => DisposeAsync(App, _files);

    private static async ValueTask DisposeAsync(WebApplication app, string[] files)
    {
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in files.SelectMany(f => Directory.GetFiles(Path.GetDirectoryName(f)!, Path.GetFileName(f) + "*")))
        {
            File.Delete(file);
        }
    }
}
