using Microsoft.Extensions.Logging;

namespace OidcRp.Diagnostics;

/// <summary>
/// Every log line OidcRp writes. Event ids are stable and grouped by range:
/// 1000s key refresh, 1100s token validation and callback, 1200s audit, 1300s admin, 1500s bearer tokens and key revocation.
/// No token, code, state, nonce, secret or cookie is ever a parameter here; request-derived strings
/// (kid, reason) are sanitized by the caller.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Debug, "OidcRp provider {ProviderId}: {Trigger} refresh started.")]
    public static partial void RefreshStarted(ILogger logger, string providerId, string trigger);

    [LoggerMessage(1002, LogLevel.Information, "OidcRp provider {ProviderId}: {Trigger} refresh loaded {KeyCount} signing keys (fingerprint {Fingerprint}, changed {Changed}) in {DurationMs} ms.")]
    public static partial void RefreshSucceeded(ILogger logger, string providerId, string trigger, int keyCount, string fingerprint, bool changed, long durationMs);

    [LoggerMessage(1003, LogLevel.Warning, "OidcRp provider {ProviderId}: {Trigger} refresh failed with {ErrorCode}; the last good keys are kept.")]
    public static partial void RefreshFailed(ILogger logger, string providerId, string trigger, string errorCode);

    [LoggerMessage(1004, LogLevel.Debug, "OidcRp provider {ProviderId}: {Trigger} refresh throttled.")]
    public static partial void RefreshThrottled(ILogger logger, string providerId, string trigger);

    [LoggerMessage(1005, LogLevel.Debug, "OidcRp provider {ProviderId}: fetched data of sequence {Sequence} is older than the current snapshot and was discarded.")]
    public static partial void StaleSnapshotDiscarded(ILogger logger, string providerId, long sequence);

    [LoggerMessage(1006, LogLevel.Debug, "OidcRp provider {ProviderId}: the OpenIdConnect handler asked for a refresh; ignored, OidcRp refreshes on its own rule.")]
    public static partial void HandlerRefreshIgnored(ILogger logger, string providerId);

    [LoggerMessage(1007, LogLevel.Error, "OidcRp background key refresh failed unexpectedly.")]
    public static partial void BackgroundRefreshError(ILogger logger, Exception exception);

    [LoggerMessage(1008, LogLevel.Debug, "OidcRp provider {ProviderId}: fetch failed with {ErrorCode}; the exception is attached.")]
    public static partial void FetchException(ILogger logger, string providerId, string errorCode, Exception exception);

    [LoggerMessage(1090, LogLevel.Warning, "OidcRp provider {ProviderId} is multi-tenant and AllowedTenants is empty: users of ANY tenant can sign in. List the tenant ids you accept in AllowedTenants.")]
    public static partial void AnyTenantCanSignIn(ILogger logger, string providerId);

    [LoggerMessage(1101, LogLevel.Information, "OidcRp provider {ProviderId}: ID token names kid {Kid}, which the cached JWKS lacks.")]
    public static partial void KidMissDetected(ILogger logger, string providerId, string kid);

    [LoggerMessage(1102, LogLevel.Information, "OidcRp provider {ProviderId}: kid {Kid} found after one refresh; signing-key rotation recovered.")]
    public static partial void KidMissRecovered(ILogger logger, string providerId, string kid);

    [LoggerMessage(1106, LogLevel.Information, "OidcRp provider {ProviderId}: kid {Kid} refused without a fetch ({Reason}).")]
    public static partial void KidMissRefused(ILogger logger, string providerId, string kid, string reason);

    [LoggerMessage(1103, LogLevel.Warning, "OidcRp provider {ProviderId}: ID token rejected as {Category} ({Reason}).")]
    public static partial void TokenRejected(ILogger logger, string providerId, string category, string reason);

    [LoggerMessage(1104, LogLevel.Warning, "OidcRp provider {ProviderId}: callback rejected ({Reason}).")]
    public static partial void CallbackRejected(ILogger logger, string providerId, string reason);

    [LoggerMessage(1105, LogLevel.Warning, "OidcRp provider {ProviderId}: sign-in could not start, metadata unavailable ({ErrorCode}).")]
    public static partial void ChallengeUnavailable(ILogger logger, string providerId, string errorCode);

    [LoggerMessage(1201, LogLevel.Information, "OidcRp audit {Category} {Outcome} provider={ProviderId} reason={Reason} kid={Kid} refreshed={KeysRefreshed} tenant={TenantId} sub={Subject} actor={Actor} trace={TraceId} count={Count}")]
    public static partial void AuditRow(ILogger logger, string category, string outcome, string providerId, string? reason, string? kid, bool keysRefreshed, string? tenantId, string? subject, string? actor, string? traceId, int count);

    [LoggerMessage(1202, LogLevel.Error, "OidcRp could not write an audit row of category {Category}; the sign-in is not affected.")]
    public static partial void AuditWriteFailed(ILogger logger, string category, Exception exception);

    [LoggerMessage(1203, LogLevel.Warning, "OidcRp audit buffer is full ({Capacity} rows): the database is slow or unreachable; rows go to the spill file {SpillPath} until it is back.")]
    public static partial void AuditBufferFull(ILogger logger, int capacity, string spillPath);

    [LoggerMessage(1204, LogLevel.Information, "OidcRp audit store ({Database}) schema is at version {Version}.")]
    public static partial void AuditSchemaMigrated(ILogger logger, string database, int version);

    [LoggerMessage(1205, LogLevel.Warning, "OidcRp audit store ({Database}) is unavailable ({Error}); rows are kept and written when it is back.")]
    public static partial void AuditStoreUnavailable(ILogger logger, string database, string error);

    [LoggerMessage(1206, LogLevel.Information, "OidcRp audit spill file is written to the database and emptied.")]
    public static partial void AuditSpillDrained(ILogger logger);

    [LoggerMessage(1207, LogLevel.Error, "OidcRp dropped {Count} audit row(s): the buffer and the spill file are full or spilling is off.")]
    public static partial void AuditRowsDropped(ILogger logger, int count);

    [LoggerMessage(1208, LogLevel.Information, "OidcRp audit retention deleted {Count} row(s).")]
    public static partial void AuditPruned(ILogger logger, long count);

    // 1500-1549: bearer tokens and key revocation.
    [LoggerMessage(1501, LogLevel.Error, "OidcRp could not read or write the revoked kids; revocations already in memory still apply, stored ones are read again on the next token.")]
    public static partial void RevocationsUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(1502, LogLevel.Warning, "OidcRp provider {ProviderId}: kid {Kid} {Action} by {Actor} (changed {Changed}).")]
    public static partial void KidRevocation(ILogger logger, string providerId, string kid, string action, string actor, bool changed);

    [LoggerMessage(1510, LogLevel.Debug, "OidcRp provider {ProviderId}: bearer token refused as {Category} ({Reason}).")]
    public static partial void BearerRefused(ILogger logger, string providerId, string category, string reason);

    [LoggerMessage(1511, LogLevel.Debug, "OidcRp provider {ProviderId}: bearer token names kid {Kid}, which the cached JWKS lacks.")]
    public static partial void BearerKidMiss(ILogger logger, string providerId, string kid);

    [LoggerMessage(1301, LogLevel.Information, "OidcRp admin refresh of provider {ProviderId} by {Actor}: {Outcome}.")]
    public static partial void AdminRefresh(ILogger logger, string providerId, string actor, string outcome);

    [LoggerMessage(1302, LogLevel.Warning, "OidcRp admin endpoint {Path} denied ({Status}) for {Actor}.")]
    public static partial void AdminDenied(ILogger logger, string path, int status, string actor);
}
