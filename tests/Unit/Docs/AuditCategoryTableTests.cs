using System.Reflection;
using System.Text.RegularExpressions;
using OidcRp.Audit;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>The categories table of docs/audit.md lists exactly the constants of <see cref="OidcAuditCategories"/>, with real outcomes.</summary>
public sealed partial class AuditCategoryTableTests
{
    [Fact]
    public void The_category_table_lists_every_category_and_no_other()
    {
        var categories = Constants(typeof(OidcAuditCategories));
        var outcomes = Constants(typeof(OidcAuditOutcomes));
        var rows = DocPages.Prose("docs/audit.md").Select(l => Row().Match(l.Text)).Where(m => m.Success).ToList();

        Assert.Equal(categories.Order(StringComparer.Ordinal), rows.Select(r => r.Groups[1].Value).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Subset(outcomes, r.Groups[2].Value.Split(" / ").ToHashSet()));
    }

    private static HashSet<string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

    /// <summary>A row of the categories table: | `category` | outcome[ / outcome…] | meaning |.</summary>
    [GeneratedRegex(@"^\| `([a-z_]+)` \| ((?:success|failure|denied)(?: / (?:success|failure|denied))*) \|")]
    private static partial Regex Row();
}
