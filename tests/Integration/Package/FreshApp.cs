using System.Diagnostics;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace OidcRp.Tests.Integration.Package;

/// <summary>
/// A new web app in a temp directory outside the solution (no Directory.Build.props, no central versions above it), written
/// here as a developer would after <c>dotnet add package OidcRp</c>. Its nuget.config takes <c>OidcRp</c> and <c>OidcRp.*</c>
/// from the packed folder only and everything else from this machine's sources; its package cache is its own, so the
/// OidcRp it loads can only be the packed one. Every docs/snippets/*.cs is copied in, so the docs compile against the package.
/// </summary>
internal sealed partial class FreshApp : IAsyncDisposable
{
    public const string AppName = "FreshOidcRpApp";
    private const string LocalSourceKey = "oidcrp-packed";
    private Process? _process;

    private FreshApp(string root) => Root = root;

    public string Root { get; }

    public string AppDirectory => Path.Combine(Root, "app");

    /// <summary>The isolated NuGet global packages folder.</summary>
    public string PackageCache => Path.Combine(Root, "nuget-packages");

    public int Snippets { get; private set; }

    public string BaseUrl { get; private set; } = "";

    public static async Task<FreshApp> CreateAsync(PackedPackages packages)
    {
        var app = new FreshApp(Path.Combine(Path.GetTempPath(), $"oidcrp-fresh-app-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(app.AppDirectory);
        var sources = await MachineSourcesAsync(app.Root);
        await File.WriteAllTextAsync(Path.Combine(app.AppDirectory, "nuget.config"), NuGetConfig(packages.Folder, sources));
        app.Snippets = CopySnippets(Path.Combine(PackedPackages.RepositoryRoot, "docs", "snippets"), Path.Combine(app.AppDirectory, "Snippets"));
        await File.WriteAllTextAsync(Path.Combine(app.AppDirectory, $"{AppName}.csproj"), Project(packages.Version, app.Snippets > 0));
        await File.WriteAllTextAsync(Path.Combine(app.AppDirectory, "Program.cs"), ProgramSource);
        return app;
    }

    private Dictionary<string, string> Environment => new() { ["NUGET_PACKAGES"] = PackageCache };

    public Task RestoreAsync() => PackedPackages.DotnetAsync(AppDirectory, ["restore", "--disable-build-servers"], Environment);

    public Task BuildAsync() => PackedPackages.DotnetAsync(AppDirectory,
        ["build", "--no-restore", "--configuration", "Release", "--disable-build-servers", "-p:UseSharedCompilation=false"], Environment);

    /// <summary>Runs the built app on 127.0.0.1:<paramref name="port"/> with one provider <c>op</c>; returns once it answers.</summary>
    public async Task StartAsync(int port, string authority, string clientId, string clientSecret)
    {
        var dll = Path.Combine(AppDirectory, "bin", "Release", "net10.0", $"{AppName}.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The packages' assemblies stay in the isolated cache (not copied next to the app) and the host is told to probe
        // there, so the location the app reports says which package it runs.
        foreach (var argument in new[] { "exec", "--additionalprobingpath", PackageCache, dll, "--urls", $"http://127.0.0.1:{port}", "--OidcRp:Providers:op:Authority=" + authority,
            "--OidcRp:Providers:op:ClientId=" + clientId, "--OidcRp:Providers:op:ClientSecret=" + clientSecret,
            "--OidcRp:Providers:op:RequireHttpsMetadata=false" })
        {
            start.ArgumentList.Add(argument);
        }
        PackedPackages.CleanEnvironment(start, Environment);
        var output = new StringBuilder();
        _process = Process.Start(start) ?? throw new InvalidOperationException("the fresh app did not start");
        _process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        BaseUrl = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!ready.IsCancellationRequested && !_process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync($"{BaseUrl}/package", ready.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException) when (!ready.IsCancellationRequested)
            {
            }
            await Task.Delay(200, CancellationToken.None);
        }
        lock (output)
        {
            throw new InvalidOperationException($"the fresh app did not answer (exited: {_process.HasExited}); its output:\n{output}");
        }
    }

    /// <summary>The machine's enabled package sources (key, address), read with the CLI from outside the solution.</summary>
    private static async Task<List<(string Key, string Url)>> MachineSourcesAsync(string directory)
    {
        var listing = await PackedPackages.DotnetAsync(directory, ["nuget", "list", "source"]);
        var sources = new List<(string, string)>();
        var lines = listing.Split('\n', StringSplitOptions.TrimEntries);
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (SourceLine().Match(lines[i]) is { Success: true } match && match.Groups[2].Value == "Enabled")
            {
                sources.Add((match.Groups[1].Value, lines[i + 1]));
            }
        }
        Assert.True(sources.Count > 0, $"no enabled package source on this machine:\n{listing}");
        return sources;
    }

    private static string NuGetConfig(string localFolder, List<(string Key, string Url)> sources)
    {
        static string X(string value) => SecurityElement.Escape(value);
        var config = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n");
        config.Append($"    <add key=\"{LocalSourceKey}\" value=\"{X(localFolder)}\" />\n");
        foreach (var (key, url) in sources)
        {
            config.Append($"    <add key=\"{X(key)}\" value=\"{X(url)}\" />\n");
        }
        // The most specific pattern wins: OidcRp and OidcRp.* can come from the packed folder only.
        config.Append($"  </packageSources>\n  <packageSourceMapping>\n    <packageSource key=\"{LocalSourceKey}\">\n");
        config.Append("      <package pattern=\"OidcRp\" />\n      <package pattern=\"OidcRp.*\" />\n    </packageSource>\n");
        foreach (var (key, _) in sources)
        {
            config.Append($"    <packageSource key=\"{X(key)}\">\n      <package pattern=\"*\" />\n    </packageSource>\n");
        }
        return config.Append("  </packageSourceMapping>\n</configuration>\n").ToString();
    }

    /// <summary>Copies the docs' C# snippets (when the docs have any); returns how many.</summary>
    public static int CopySnippets(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return 0;
        }
        var files = Directory.GetFiles(from, "*.cs");
        Directory.CreateDirectory(to);
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        return files.Length;
    }

    private static string Project(string version, bool snippets)
    {
        var central = PackedPackages.CentralVersions();
        // The snippets may use the two ADO.NET drivers and the OpenTelemetry packages the docs show (docs/snippets contract); the same versions as the repository.
        var drivers = snippets
            ? $"""

                  <PackageReference Include="Microsoft.Data.Sqlite" Version="{central["Microsoft.Data.Sqlite"]}" />
                  <PackageReference Include="Npgsql" Version="{central["Npgsql"]}" />
                  <PackageReference Include="OpenTelemetry.Extensions.Hosting" Version="{central["OpenTelemetry.Extensions.Hosting"]}" />
                  <PackageReference Include="OpenTelemetry.Exporter.OpenTelemetryProtocol" Version="{central["OpenTelemetry.Exporter.OpenTelemetryProtocol"]}" />
                  <PackageReference Include="OpenTelemetry.Instrumentation.AspNetCore" Version="{central["OpenTelemetry.Instrumentation.AspNetCore"]}" />
                  <PackageReference Include="OpenTelemetry.Instrumentation.Http" Version="{central["OpenTelemetry.Instrumentation.Http"]}" />
              """
            : "";
        return $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <CopyLocalLockFileAssemblies>false</CopyLocalLockFileAssemblies>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="OidcRp" Version="{version}" />
                <PackageReference Include="OidcRp.StackExchangeRedis" Version="{version}" />{drivers}
              </ItemGroup>
            </Project>
            """;
    }

    /// <summary>The app a user writes from the package readme, plus /whoami and /package (where the OidcRp assemblies were loaded from).</summary>
    private const string ProgramSource = """
        using System.Security.Claims;
        using OidcRp;

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAuthentication(o => o.DefaultScheme = "Cookies")
            .AddCookie("Cookies")
            .AddMultiOidc(builder.Configuration.GetSection("OidcRp"));
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOidcRp();
        app.MapGet("/whoami", (ClaimsPrincipal user) => Results.Ok(new { provider = user.GetOidcProvider(), sub = user.FindFirst("sub")?.Value }))
            .RequireAuthorization();
        app.MapGet("/package", () => Results.Ok(new
        {
            oidcRp = typeof(OidcRpOptions).Assembly.Location,
            redis = typeof(OidcRp.StackExchangeRedis.OidcRpRedisOptions).Assembly.Location,
        }));
        app.Run();
        """;

    [GeneratedRegex(@"^\d+\.\s+(.+?)\s+\[(Enabled|Disabled)\]$")]
    private static partial Regex SourceLine();

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
