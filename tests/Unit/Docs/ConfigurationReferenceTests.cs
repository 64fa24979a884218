using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using OidcRp.Audit.Sql;
using OidcRp.StackExchangeRedis;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>
/// docs/configuration.md against the options classes, both ways: every public setting of every public <c>*Options</c>
/// class of OidcRp and OidcRp.StackExchangeRedis has a row in the table marked <c>&lt;!-- options: Class --&gt;</c>, every
/// row names a real setting, and a default written as a plain value is the class's default.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Page = "docs/configuration.md";

    public static TheoryData<string> OptionsClasses() => [.. OptionsTypes().Select(t => t.Name)];

    /// <summary>Found, not listed: a new options class without a table fails.</summary>
    internal static IEnumerable<Type> OptionsTypes() =>
        new[] { typeof(OidcRpOptions).Assembly, typeof(OidcRpRedisOptions).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && !t.IsAbstract && t.Name.EndsWith("Options", StringComparison.Ordinal))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    [Fact]
    public void The_options_classes_are_found()
    {
        var names = OptionsTypes().Select(t => t.Name).ToList();

        Assert.Contains(nameof(OidcRpOptions), names);
        Assert.Contains(nameof(OidcProviderOptions), names);
        Assert.Contains(nameof(OidcRpBearerProviderOptions), names);
        Assert.Contains(nameof(OidcAuditStoreOptions), names);
        Assert.Contains(nameof(OidcRpRedisOptions), names);
        Assert.True(names.Count >= 11, string.Join(", ", names));
    }

    [Fact]
    public void Every_table_names_an_options_class()
    {
        var known = OptionsTypes().Select(t => t.Name).ToHashSet();

        var unknown = Tables().Keys.Where(k => !known.Contains(k)).ToList();

        Assert.True(unknown.Count == 0, $"tables for no options class: {string.Join(", ", unknown)}");
    }

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public void The_reference_lists_every_setting_and_only_real_ones_with_their_defaults(string className)
    {
        var type = OptionsTypes().Single(t => t.Name == className);
        Assert.True(Tables().TryGetValue(className, out var rows), $"{Page} has no table marked <!-- options: {className} -->");
        var settings = Settings(type).ToDictionary(p => p.Name, StringComparer.Ordinal);

        Assert.Empty(settings.Keys.Where(k => !rows.ContainsKey(k)).Order().Select(k => $"{className}.{k} has no row"));
        Assert.Empty(rows.Keys.Where(k => !settings.ContainsKey(k)).Order().Select(k => $"row {k} is no setting of {className}"));

        var instance = Activator.CreateInstance(type)!;
        foreach (var (name, shown) in rows)
        {
            var property = settings[name];
            var problem = DefaultProblem(property, property.GetValue(instance), shown);
            Assert.True(problem is null, $"{className}.{name}: the table shows '{shown}', {problem}");
        }
    }

    /// <summary>Public instance properties declared by the class that configuration or code can set (collections included).</summary>
    internal static IEnumerable<PropertyInfo> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.SetMethod?.IsPublic == true || IsCollection(p.PropertyType));

    /// <summary>Null when the shown default agrees with the value, else what is wrong.</summary>
    internal static string? DefaultProblem(PropertyInfo property, object? value, string shown)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var cell = shown.Replace("`", "", StringComparison.Ordinal).Trim();
        if (IsCollection(type) || (type.IsClass && type != typeof(string)) || typeof(Delegate).IsAssignableFrom(type))
        {
            return null; // lists, dictionaries, nested options and callbacks: described, not a plain value
        }
        if (value is null)
        {
            return Literal(type, cell) is { } literal ? $"but the class has no default (shown as the value {literal})" : null;
        }
        if (type == typeof(string))
        {
            if (ReferenceEquals(value, OidcAuditStoreOptions.DefaultSpillPath))
            {
                // A placeholder the store resolves per application at start-up (OidcAuditStoreOptions.DefaultSpillFile).
                return cell.EndsWith("/oidcrp/{app}/audit-spill.jsonl", StringComparison.Ordinal) ? null : "not the per-application spill file";
            }
            return (string)value == "" || cell.Split(' ')[0] == (string)value ? null : $"the default is '{value}'";
        }
        var parsed = Literal(type, cell);
        return parsed is null ? $"which does not read as a {type.Name}; the default is {value}"
            : Equals(parsed, value) ? null : $"the default is {value}";
    }

    /// <summary>The cell's leading plain value as the property's type: 4,096 · 256 KiB · 30 s · 10 min · 1 minute · true · Protected.</summary>
    private static object? Literal(Type type, string cell)
    {
        if (type == typeof(bool))
        {
            return cell.StartsWith("true", StringComparison.Ordinal) ? true : cell.StartsWith("false", StringComparison.Ordinal) ? false : null;
        }
        if (type.IsEnum)
        {
            var word = cell.Split(' ', ':')[0];
            return Enum.GetNames(type).Contains(word) ? Enum.Parse(type, word) : null;
        }
        var m = Quantity().Match(cell);
        if (!m.Success)
        {
            return null;
        }
        var number = decimal.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        var unit = m.Groups[2].Value;
        if (type == typeof(TimeSpan))
        {
            return unit switch
            {
                "ms" => TimeSpan.FromMilliseconds((double)number),
                "s" or "second" or "seconds" => TimeSpan.FromSeconds((double)number),
                "min" or "minute" or "minutes" => TimeSpan.FromMinutes((double)number),
                "h" or "hour" or "hours" => TimeSpan.FromHours((double)number),
                "d" or "day" or "days" => TimeSpan.FromDays((double)number),
                _ => null,
            };
        }
        var scaled = unit switch { "" => number, "KiB" => number * 1024, "MiB" => number * 1024 * 1024, _ => (decimal?)null };
        return scaled is null ? null
            : type == typeof(int) ? (int)scaled.Value
            : type == typeof(long) ? (long)scaled.Value
            : null;
    }

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    /// <summary>Each marked table of the page: setting name → the default column.</summary>
    internal static Dictionary<string, Dictionary<string, string>> Tables()
    {
        var tables = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        var started = false;
        foreach (var (line, text) in DocPages.Prose(Page))
        {
            if (OptionsMarker().Match(text) is { Success: true } marker)
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                started = false;
                Assert.True(tables.TryAdd(marker.Groups[1].Value, current), $"two tables for {marker.Groups[1].Value}");
                continue;
            }
            if (current is null)
            {
                continue;
            }
            if (!text.StartsWith('|'))
            {
                Assert.True(started || text.Trim().Length == 0, $"{Page}:{line}: an options marker must be followed by its table");
                current = started ? null : current;
                continue;
            }
            started = true;
            var cells = text.Trim().Trim('|').Split('|');
            if (cells.Length < 3 || cells[0].Trim() is "setting" || cells[0].TrimStart().StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (Match name in Name().Matches(cells[0]))
            {
                Assert.True(current.TryAdd(name.Groups[1].Value, cells[1].Trim()), $"{name.Groups[1].Value} has two rows");
            }
        }
        return tables;
    }

    [Theory]
    [InlineData("30 s", 30_000)]
    [InlineData("10 min", 600_000)]
    [InlineData("1 minute", 60_000)]
    [InlineData("500 ms", 500)]
    [InlineData("1 h", 3_600_000)]
    public void Durations_are_read_as_written(string cell, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Literal(typeof(TimeSpan), cell));

    [Theory]
    [InlineData("4,096", 4096)]
    [InlineData("256 KiB", 262_144)]
    [InlineData("1024", 1024)]
    public void Numbers_are_read_as_written(string cell, int expected) => Assert.Equal(expected, Literal(typeof(int), cell));

    [Theory]
    [InlineData("none")]
    [InlineData("— (required)")]
    [InlineData("none: the app's default sign-in scheme")]
    public void Descriptions_are_no_values(string cell) => Assert.Null(Literal(typeof(TimeSpan), cell));

    [GeneratedRegex(@"^\s*<!--\s*options:\s*(\w+)\s*-->\s*$")]
    private static partial Regex OptionsMarker();

    [GeneratedRegex(@"`(\w+)`")]
    private static partial Regex Name();

    [GeneratedRegex(@"^(\d[\d,]*(?:\.\d+)?)(?:\s*(ms|s|second|seconds|min|minute|minutes|h|hour|hours|d|day|days|KiB|MiB))?(?=$|[\s:;,(])")]
    private static partial Regex Quantity();
}
