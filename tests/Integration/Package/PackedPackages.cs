using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;

namespace OidcRp.Tests.Integration.Package;

/// <summary>
/// The packages under test: those scripts/test.sh packed from its build into <c>OIDCRP_PACKAGE_SOURCE</c> with the unique
/// version <c>OIDCRP_PACKAGE_VERSION</c>, or, when the suite runs on its own, packed here once (<c>dotnet pack --no-build</c>,
/// from the build this test assembly came from) into a temp folder with a unique version. Never skipped.
/// </summary>
internal sealed record PackedPackages(string Folder, string Version)
{
    public static readonly string[] Ids = ["OidcRp", "OidcRp.StackExchangeRedis"];

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PackedPackages? _packed;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public string Nupkg(string id) => Path.Combine(Folder, $"{id}.{Version}.nupkg");

    public string Snupkg(string id) => Path.Combine(Folder, $"{id}.{Version}.snupkg");

    public static async Task<PackedPackages> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _packed ??= await LocateOrPackAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The versions pinned in the repository's Directory.Packages.props (what the packages' dependencies must say).</summary>
    public static IReadOnlyDictionary<string, string> CentralVersions() =>
        XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);

    private static async Task<PackedPackages> LocateOrPackAsync()
    {
        var folder = Environment.GetEnvironmentVariable("OIDCRP_PACKAGE_SOURCE");
        var version = Environment.GetEnvironmentVariable("OIDCRP_PACKAGE_VERSION");
        if (!string.IsNullOrEmpty(folder) && !string.IsNullOrEmpty(version))
        {
            return new PackedPackages(folder, version);
        }
        // Run outside test.sh: pack what this assembly was built against, without building again.
        version = $"0.0.0-local.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        folder = Path.Combine(Path.GetTempPath(), $"oidcrp-packages-{Guid.NewGuid():N}");
        var created = folder;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(created, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        foreach (var id in Ids)
        {
            var project = Path.Combine(RepositoryRoot, "src", id, $"{id}.csproj");
            await DotnetAsync(RepositoryRoot, ["pack", project, "--no-build", "--configuration", Metadata("BuildConfiguration"),
                "--output", folder, $"-p:Version={version}", "-nodeReuse:false"]);
        }
        return new PackedPackages(folder, version);
    }

    private static string Metadata(string key) => typeof(PackedPackages).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    /// <summary>Runs the dotnet CLI; throws with its output when it fails. Returns its standard output.</summary>
    public static async Task<string> DotnetAsync(string directory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        CleanEnvironment(start, environment);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"dotnet {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}) in {directory}:\n{await stdout}\n{await stderr}");
        }
        return await stdout;
    }

    /// <summary>
    /// The environment of a child dotnet process: without the MSBuild variables the test host may carry (they would point
    /// the child's build at this build's MSBuild), without telemetry, and with the given variables.
    /// </summary>
    public static void CleanEnvironment(ProcessStartInfo start, IReadOnlyDictionary<string, string>? environment)
    {
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
    }
}
