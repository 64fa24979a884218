namespace OidcRp.Providers;

/// <summary>Where a provider came from.</summary>
internal enum ProviderSource
{
    /// <summary>OidcRp's options (configuration or code), reloaded through <c>IOptionsMonitor</c>.</summary>
    Configuration,

    /// <summary>The application's <see cref="IOidcProviderStore"/>.</summary>
    Store,
}

/// <summary>The stable names of <see cref="ProviderSource"/> in status answers and audit rows.</summary>
internal static class ProviderSourceNames
{
    public static string Name(this ProviderSource source) => source == ProviderSource.Store ? "store" : "configuration";
}
