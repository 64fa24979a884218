using System.Collections;
using System.Reflection;

namespace OidcRp.Providers.Sources;

/// <summary>A change refused for a provider: the version that was refused and why (no secret values).</summary>
internal sealed record RefusedChange(string Version, IReadOnlyList<string> Errors, DateTimeOffset At);

/// <summary>
/// What a new version of a provider changes. Settings are compared one by one; a secret is compared, never
/// copied into the result (only its name is). What each change does:
/// <list type="bullet">
/// <item>where the keys come from or whom they are trusted for (<see cref="DropsKeys"/>: authority, metadata
/// address, issuer, issuer template, https requirement): the keys and metadata are dropped and fetched again on
/// next use;</item>
/// <item>anything else (algorithms, client id, secret, scopes, paths, response mode, …): the keys and metadata
/// are kept; the algorithm policy and issuer rule are recomputed from them without a fetch, and the handler
/// options are rebuilt.</item>
/// </list>
/// </summary>
internal static class ProviderChanges
{
    private static readonly HashSet<string> KeySettings = new(StringComparer.Ordinal)
    {
        nameof(OidcProviderOptions.Authority),
        nameof(OidcProviderOptions.MetadataAddress),
        nameof(OidcProviderOptions.Issuer),
        nameof(OidcProviderOptions.IssuerTemplate),
        nameof(OidcProviderOptions.RequireHttpsMetadata),
    };

    private static readonly PropertyInfo[] Settings = typeof(OidcProviderOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.Name != nameof(OidcProviderOptions.Id))
        .OrderBy(p => p.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The names of the settings that differ, in name order.</summary>
    public static IReadOnlyList<string> Changed(OidcProviderOptions before, OidcProviderOptions after)
    {
        var changed = new List<string>();
        foreach (var setting in Settings)
        {
            if (!Same(setting.GetValue(before), setting.GetValue(after)))
            {
                changed.Add(setting.Name);
            }
        }
        return changed;
    }

    /// <summary>Whether a change of <paramref name="changed"/> makes the cached keys and metadata unusable.</summary>
    public static bool DropsKeys(IReadOnlyList<string> changed) => changed.Any(KeySettings.Contains);

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (Delegate x, Delegate y) => ReferenceEquals(x, y) || x.Equals(y),
        (IEnumerable x, IEnumerable y) => x.Cast<object?>().SequenceEqual(y.Cast<object?>()),
        _ => Equals(a, b),
    };
}
