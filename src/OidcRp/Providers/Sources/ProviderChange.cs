namespace OidcRp.Providers.Sources;

/// <summary>What happened to a provider in one change.</summary>
internal enum ProviderChangeKind
{
    Added,
    Changed,
    Removed,

    /// <summary>The new version was invalid: refused, the old version (if any) kept.</summary>
    Refused,
}

/// <summary>
/// One provider's change: the version in place before and after (both null only for a refused new provider),
/// the names of the settings that changed (never values), who made it where known, and for a refusal why.
/// </summary>
internal sealed record ProviderChange(string Id, ProviderSource Source, ProviderChangeKind Kind, ProviderEntry? Before, ProviderEntry? After)
{
    public IReadOnlyList<string> ChangedSettings { get; init; } = [];

    public string? Actor { get; init; }

    public IReadOnlyList<string> Errors { get; init; } = [];

    public string? RefusedVersion { get; init; }

    /// <summary>A new version built from <paramref name="before"/>: keys kept unless a setting they depend on changed.</summary>
    public static ProviderChange Changed(ProviderEntry before, OidcProviderOptions options, string version, ProviderSource source, IReadOnlyList<string> settings, string? actor)
    {
        var after = new ProviderEntry(options, version, source);
        after.Inherit(before, keepSnapshot: !ProviderChanges.DropsKeys(settings));
        return new ProviderChange(options.Id, source, ProviderChangeKind.Changed, before, after) { ChangedSettings = settings, Actor = actor };
    }
}
