using System.Text.RegularExpressions;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>
/// C# in the docs is compiled: each ```csharp block is marked <c>&lt;!-- snippet: name --&gt;</c> and equals, whitespace
/// aside, the <c>#region name</c> of docs/snippets/*.cs, which OidcRp.Docs.Snippets.csproj builds with the solution.
/// </summary>
public sealed partial class CodeSnippetTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Regions = new(ReadRegions);

    public static TheoryData<string, int> CSharpBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in DocPages.Pages().SelectMany(DocPages.Blocks).Where(IsCSharp))
        {
            data.Add(block.File, block.Line);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void A_csharp_block_is_a_compiled_region(string page, int line)
    {
        var block = DocPages.Blocks(page).Single(b => b.Line == line);
        Assert.True(block.Marker is not null && block.Marker.StartsWith("snippet:", StringComparison.Ordinal),
            $"{block}: a ```csharp block needs <!-- snippet: name --> on the line before it, naming a #region in docs/snippets/*.cs");
        var name = block.Marker!["snippet:".Length..].Trim();
        Assert.True(Regions.Value.TryGetValue(name, out var region), $"{block}: no #region {name} in docs/snippets/*.cs");
        Assert.True(Normalize(region) == Normalize(block.Text),
            $"{block}: differs from #region {name} in docs/snippets (copy the region into the page).\n--- page:\n{block.Text}\n--- region:\n{region}");
    }

    [Fact]
    public void Every_region_is_shown_in_the_docs()
    {
        var shown = DocPages.Pages().SelectMany(DocPages.Blocks).Where(IsCSharp)
            .Select(b => b.Marker?.Replace("snippet:", "", StringComparison.Ordinal).Trim()).ToHashSet();

        Assert.NotEmpty(Regions.Value);
        Assert.Empty(Regions.Value.Keys.Where(r => !shown.Contains(r)).Order());
    }

    [Fact]
    public void The_snippets_project_is_built_with_the_solution_and_not_packed()
    {
        var sln = DocPages.Read("OidcRp.sln");
        var project = DocPages.Read("docs/snippets/OidcRp.Docs.Snippets.csproj");

        Assert.Contains(@"docs\snippets\OidcRp.Docs.Snippets.csproj", sln, StringComparison.Ordinal);
        Assert.Contains("<IsPackable>false</IsPackable>", project, StringComparison.Ordinal);
    }

    [Fact]
    public void Snippet_files_keep_the_contract_a_fresh_app_compiles()
    {
        // P's fresh-app test copies docs/snippets/*.cs into an app of its own: no entry point, one namespace, and only
        // the packages that app references.
        foreach (var file in Directory.GetFiles(Path.Combine(DocPages.Root, "docs", "snippets"), "*.cs"))
        {
            var text = File.ReadAllText(file);
            Assert.Contains("namespace OidcRp.Docs.Snippets;", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"\bstatic\s+(async\s+)?\S+\s+Main\s*\(", text);
            Assert.All(Using().Matches(text).Select(m => m.Groups[1].Value), ns => Assert.True(
                ns.StartsWith("OidcRp", StringComparison.Ordinal) || ns.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                || ns.StartsWith("Microsoft.Extensions", StringComparison.Ordinal) || ns.StartsWith("System", StringComparison.Ordinal)
                || ns is "Microsoft.Data.Sqlite" || ns is "Npgsql" || ns.StartsWith("OpenTelemetry", StringComparison.Ordinal), $"{Path.GetFileName(file)}: using {ns} is outside the snippets' packages"));
        }
    }

    private static bool IsCSharp(FencedBlock block) => block.Language is "csharp" or "cs" or "c#";

    internal static string Normalize(string code) => Whitespace().Replace(code, " ").Trim();

    private static Dictionary<string, string> ReadRegions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(DocPages.Root, "docs", "snippets"), "*.cs"))
        {
            foreach (Match m in Region().Matches(File.ReadAllText(file)))
            {
                Assert.True(regions.TryAdd(m.Groups[1].Value, m.Groups[2].Value), $"#region {m.Groups[1].Value} is defined twice");
            }
        }
        return regions;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^[ \t]*#region[ \t]+(\S+)[ \t]*\r?\n(.*?)^[ \t]*#endregion", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Region();

    [GeneratedRegex(@"^using\s+(?:static\s+)?([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex Using();
}
