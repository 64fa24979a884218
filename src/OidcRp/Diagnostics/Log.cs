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

    [LoggerMessage(1107, LogLevel.Warning, "OidcRp provider {ProviderId}: sign-in could not start, the pushed authorization request failed ({Failure}).")]
    public static partial void PushedAuthorizationFailed(ILogger logger, string providerId, string failure);

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

    [LoggerMessage(1450, LogLevel.Information, "OidcRp provider store ({Database}) schema is at version {Version}.")]
    public static partial void ProviderStoreSchemaMigrated(ILogger logger, string database, int version);

    [LoggerMessage(1451, LogLevel.Warning, "OidcRp provider store ({Database}) is unavailable at start-up ({Error}); it is tried again on use.")]
    public static partial void ProviderStoreUnavailable(ILogger logger, string database, string error);

    [LoggerMessage(1452, LogLevel.Warning, "OidcRp provider store: the row of provider {ProviderId} (version {Version}) cannot be read ({Code}, {Detail}); it is returned without settings, so the registry refuses it.")]
    public static partial void ProviderRowUnreadable(ILogger logger, string providerId, long version, string code, string detail);

    [LoggerMessage(1453, LogLevel.Information, "OidcRp provider store: provider {ProviderId} saved as version {Version} by {Actor}.")]
    public static partial void ProviderSaved(ILogger logger, string providerId, long version, string? actor);

    [LoggerMessage(1454, LogLevel.Information, "OidcRp provider store: provider {ProviderId} removed as version {Version} by {Actor}.")]
    public static partial void ProviderRemoved(ILogger logger, string providerId, long version, string? actor);

    [LoggerMessage(1455, LogLevel.Warning, "OidcRp provider store: provider {ProviderId} refused: {Errors}")]
    public static partial void ProviderSaveRefused(ILogger logger, string providerId, string errors);

    [LoggerMessage(1456, LogLevel.Warning, "OidcRp provider store: reading the changes of other instances failed ({Error}); tried again in {Interval}.")]
    public static partial void ProviderStorePollFailed(ILogger logger, string error, TimeSpan interval);

    [LoggerMessage(1457, LogLevel.Error, "OidcRp provider store: a change subscriber threw; the other subscribers are still called.")]
    public static partial void ProviderChangeSubscriberFailed(ILogger logger, Exception exception);

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

    // 1400s: run-time provider sources (configuration reloads, the provider store).

    [LoggerMessage(1400, LogLevel.Information, "OidcRp provider {ProviderId} added from {Source} (version {Version}).")]
    public static partial void ProviderAdded(ILogger logger, string providerId, string source, string version);

    [LoggerMessage(1401, LogLevel.Information, "OidcRp provider {ProviderId} changed from {Source} (version {Version}): settings {Settings}; keys and metadata {Keys}.")]
    public static partial void ProviderChanged(ILogger logger, string providerId, string source, string version, string settings, string keys);

    [LoggerMessage(1402, LogLevel.Information, "OidcRp provider {ProviderId} removed from {Source}.")]
    public static partial void ProviderRemoved(ILogger logger, string providerId, string source);

    [LoggerMessage(1403, LogLevel.Error, "OidcRp provider {ProviderId}: a change from {Source} was refused; the previous version (if any) is kept. {Errors}")]
    public static partial void ProviderChangeRefused(ILogger logger, string providerId, string source, string errors);

    [LoggerMessage(1404, LogLevel.Error, "OidcRp could not apply a provider change; the providers in place are kept.")]
    public static partial void ProviderReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(1405, LogLevel.Warning, "OidcRp provider store failed to read provider {ProviderId}; answered as unknown for this request.")]
    public static partial void ProviderStoreFailed(ILogger logger, string providerId, Exception exception);

    [LoggerMessage(1406, LogLevel.Warning, "OidcRp provider store answered another provider than {ProviderId}; ignored.")]
    public static partial void ProviderStoreMismatch(ILogger logger, string providerId);

    [LoggerMessage(1407, LogLevel.Warning, "OidcRp: a callback came back for removed provider {ProviderId}; answered provider_removed.")]
    public static partial void RemovedProviderCallback(ILogger logger, string providerId);

    [LoggerMessage(1408, LogLevel.Error, "OidcRp callback paths conflict after an application hook; the first provider keeps each path. {Errors}")]
    public static partial void ProviderPathConflict(ILogger logger, string errors);
}
