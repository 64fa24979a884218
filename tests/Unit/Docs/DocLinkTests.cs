using System.Text.RegularExpressions;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>Every relative link of the README and docs/*.md reaches a file that exists, and its #anchor a heading there.</summary>
public sealed partial class DocLinkTests
{
    public static TheoryData<string> Pages() => [.. DocPages.Pages()];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_resolves_to_a_file_and_heading(string page)
    {
        var broken = new List<string>();
        foreach (var (line, text) in DocPages.Prose(page))
        {
            foreach (Match link in Link().Matches(InlineCode().Replace(text, "")))
            {
                var target = link.Groups[1].Value;
                if (Uri.TryCreate(target, UriKind.Absolute, out _))
                {
                    continue; // http(s) and mailto: not checked here (no network in the tests)
                }
                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var file = path.Length == 0 ? page
                    : Path.GetRelativePath(DocPages.Root, Path.GetFullPath(Path.Combine(DocPages.Root, Path.GetDirectoryName(page) ?? "", Uri.UnescapeDataString(path)))).Replace('\\', '/');
                var full = Path.Combine(DocPages.Root, file);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    broken.Add($"{page}:{line}: {target} (no such file {file})");
                }
                else if (anchor is not null && (!file.EndsWith(".md", StringComparison.Ordinal) || !DocPages.Anchors(file).Contains(anchor)))
                {
                    broken.Add($"{page}:{line}: {target} (no heading #{anchor} in {file})");
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void The_link_pattern_finds_the_links()
    {
        var readme = DocPages.Prose("README.md").Sum(l => Link().Matches(InlineCode().Replace(l.Text, "")).Count);

        Assert.True(readme >= 12, $"README.md: {readme} links found");
    }

    [Fact]
    public void Headings_get_github_anchors()
    {
        var anchors = DocPages.Anchors("docs/configuration.md");

        Assert.Contains("providers-oidcrpprovidersid", anchors);
        Assert.Contains("bearer-tokens-oidcrpbearer", anchors);
        Assert.Contains("start-up-checks", anchors);
    }

    [GeneratedRegex(@"\]\(([^()\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();
}
