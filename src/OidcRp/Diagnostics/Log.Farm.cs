using Microsoft.Extensions.Logging;

namespace OidcRp.Diagnostics;

/// <summary>The farm's log lines (1600s): shared state through <see cref="Farm.IOidcFarmState"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(1600, LogLevel.Warning, "OidcRp farm: the shared state is unavailable ({Operation}); this instance falls back to its own state until it returns.")]
    public static partial void FarmUnavailable(ILogger logger, string operation, Exception? exception);

    [LoggerMessage(1601, LogLevel.Information, "OidcRp farm: the shared state is back; resynchronising.")]
    public static partial void FarmRestored(ILogger logger);

    [LoggerMessage(1602, LogLevel.Warning, "OidcRp farm: the shared snapshot of provider {ProviderId} was ignored ({Why}).")]
    public static partial void SharedSnapshotIgnored(ILogger logger, string providerId, string why);

    [LoggerMessage(1603, LogLevel.Information, "OidcRp farm: provider {ProviderId} adopted shared snapshot version {Version} ({KeyCount} signing keys) without a fetch.")]
    public static partial void SharedSnapshotAdopted(ILogger logger, string providerId, long version, int keyCount);

    [LoggerMessage(1604, LogLevel.Debug, "OidcRp farm: provider {ProviderId} snapshot shared as version {Version}.")]
    public static partial void SharedSnapshotPublished(ILogger logger, string providerId, long version);

    [LoggerMessage(1605, LogLevel.Warning, "OidcRp farm: a broadcast message was ignored ({Why}).")]
    public static partial void FarmMessageIgnored(ILogger logger, string why);

    [LoggerMessage(1606, LogLevel.Information, "OidcRp farm: applied {Kind} of provider {ProviderId} from another instance.")]
    public static partial void FarmMessageApplied(ILogger logger, string kind, string providerId);

    [LoggerMessage(1607, LogLevel.Warning, "OidcRp farm: applying {Kind} of provider {ProviderId} from another instance failed.")]
    public static partial void FarmMessageFailed(ILogger logger, string kind, string providerId, Exception exception);
}
