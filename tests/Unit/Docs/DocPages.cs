using System.Text.RegularExpressions;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>A fenced block of a documentation page, with the marker comment on the line before it (if any).</summary>
internal sealed record FencedBlock(string File, int Line, string Language, string Text, string? Marker)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>Reads the README and docs/*.md the way the tests need them: pages, fenced blocks, headings, links.</summary>
internal static partial class DocPages
{
    public static string Root { get; } = FindRoot();

    /// <summary>README.md and every page under docs/ (not docs/snippets), as paths relative to the root.</summary>
    public static IReadOnlyList<string> Pages() =>
        [
            "README.md",
            .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.TopDirectoryOnly)
                .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/')).Order(StringComparer.Ordinal),
        ];

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    public static IEnumerable<FencedBlock> Blocks(string page)
    {
        var lines = Read(page).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && !Fence().IsMatch(lines[i]); i++)
            {
                body.Add(lines[i]);
            }
            var previous = start - 1;
            while (previous >= 0 && lines[previous].Trim().Length == 0)
            {
                previous--;
            }
            var marker = previous >= 0 ? Marker().Match(lines[previous]) : Match.Empty;
            yield return new FencedBlock(page, start + 1, open.Groups[1].Value, string.Join('\n', body),
                marker.Success ? marker.Groups[1].Value.Trim() : null);
        }
    }

    /// <summary>The page's text outside fenced blocks, line by line with its line number.</summary>
    public static IEnumerable<(int Line, string Text)> Prose(string page)
    {
        var lines = Read(page).Split('\n');
        var inFence = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (Fence().IsMatch(lines[i]))
            {
                inFence = !inFence;
                continue;
            }
            if (!inFence)
            {
                yield return (i + 1, lines[i]);
            }
        }
    }

    /// <summary>The anchors GitHub gives the page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string page)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, text) in Prose(page))
        {
            var heading = Heading().Match(text);
            if (!heading.Success)
            {
                continue;
            }
            var slug = new string(heading.Groups[1].Value.Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is '-' or '_' or ' ').Select(c => c == ' ' ? '-' : c).ToArray());
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }
        return anchors;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OidcRp.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("OidcRp.sln not found above the test binaries.");
    }

    [GeneratedRegex(@"^\s*```\s*([\w+-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^\s*<!--\s*((?:snippet|config|options):[^>]*?)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
