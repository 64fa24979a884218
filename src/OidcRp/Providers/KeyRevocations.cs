using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Callback;
using OidcRp.Diagnostics;

namespace OidcRp.Providers;

/// <summary>
/// The revoked kids of every provider, read on each token (login and bearer) without a lock: an immutable map swapped
/// whole on each change, so the check costs one empty-map test when nothing is revoked. A revoked kid is refused by name
/// (<see cref="OidcRpReasons.KidRevoked"/>, before any fetch) and left out of the keys a kid-less token is tried with. It
/// lapses when a JWKS fetched after the revocation no longer publishes it (the provider retired the key; a later token
/// naming it is an ordinary kid miss). Persisted through <see cref="IRevocationStore"/>; loaded once, on first use.
/// </summary>
internal sealed class KeyRevocations(IServiceProvider services, OidcProviderRegistry registry, AuditWriter audit, IHttpContextAccessor http,
    TimeProvider time, ILogger<KeyRevocations> logger) : IOidcKeyRevocations
{
    /// <summary>The actor of rows OidcRp writes on its own (a lapsed revocation).</summary>
    internal const string SystemActor = "oidcrp";

    private static readonly FrozenDictionary<string, FrozenDictionary<string, DateTimeOffset>> Empty =
        FrozenDictionary<string, FrozenDictionary<string, DateTimeOffset>>.Empty;

    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Lock _loadGate = new();
    private IRevocationStore? _store;
    private Task? _load;
    private FrozenDictionary<string, FrozenDictionary<string, DateTimeOffset>> _revoked = Empty;
    private int _version;

    /// <summary>Changes with every revocation change, so key lists built from the revocations can be cached.</summary>
    public int Version => Volatile.Read(ref _version);

    private IRevocationStore Store => _store ??= IRevocationStore.Create(services);

    /// <summary>Completes when the stored revocations are in memory (at once after the first load).</summary>
    public Task WhenLoadedAsync()
    {
        if (Volatile.Read(ref _load) is { IsCompletedSuccessfully: true } loaded)
        {
            return loaded; // every token after the first: no lock
        }
        lock (_loadGate)
        {
            if (_load is null || _load.IsFaulted)
            {
                // A failed load is tried again on the next token, and meanwhile logged (fail-open, never failing every login).
                _load = LoadAsync();
            }
            return _load;
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            var rows = await Store.LoadAsync(CancellationToken.None);
            var map = rows.GroupBy(r => r.ProviderId, StringComparer.OrdinalIgnoreCase).ToDictionary(
                g => g.Key, g => g.GroupBy(r => r.Kid, StringComparer.Ordinal).ToFrozenDictionary(k => k.Key, k => k.First().RevokedAt, StringComparer.Ordinal),
                StringComparer.OrdinalIgnoreCase);
            Volatile.Write(ref _revoked, map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
            Interlocked.Increment(ref _version);
        }
#pragma warning disable CA1031 // a broken store must not fail token validation; it is logged and retried
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.RevocationsUnavailable(logger, e);
            lock (_loadGate)
            {
                _load = null;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="kid"/> of <paramref name="entry"/> is revoked. A revocation whose kid a JWKS fetched after it
    /// no longer holds has lapsed: it is removed (and recorded) and this returns false.
    /// </summary>
    public bool IsRevoked(ProviderEntry entry, string kid, ProviderSnapshot? snapshot)
    {
        var revoked = Volatile.Read(ref _revoked);
        if (revoked.Count == 0 || !revoked.TryGetValue(entry.Id, out var kids) || !kids.TryGetValue(kid, out var at))
        {
            return false;
        }
        if (snapshot is { EveryKeyHasKid: true } s && !s.HasKid(kid) && s.KeysFetchedAt > at)
        {
            _ = LapseAsync(entry, kid);
            return false;
        }
        return true;
    }

    /// <summary>The keys of <paramref name="snapshot"/> without the revoked ones (the same list when none is revoked).</summary>
    public IReadOnlyList<SecurityKey> Trusted(ProviderEntry entry, ProviderSnapshot snapshot)
    {
        var revoked = Volatile.Read(ref _revoked);
        if (revoked.Count == 0 || !revoked.TryGetValue(entry.Id, out var kids) || kids.Count == 0)
        {
            return snapshot.SigningKeys;
        }
        return snapshot.SigningKeys.Where(k => k.KeyId is null || !kids.ContainsKey(k.KeyId)).ToList();
    }

    public IReadOnlyList<string> GetRevoked(string providerId) =>
        registry.Find(providerId) is { } entry && Volatile.Read(ref _revoked).TryGetValue(entry.Id, out var kids)
            ? kids.Keys.Order(StringComparer.Ordinal).ToList() : [];

    public Task<OidcKeyRevocationResult> RevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(providerId, kid, actor, revoke: true, cancellationToken);

    public Task<OidcKeyRevocationResult> UnrevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken) =>
        ChangeAsync(providerId, kid, actor, revoke: false, cancellationToken);

    private async Task<OidcKeyRevocationResult> ChangeAsync(string providerId, string kid, string actor, bool revoke, CancellationToken cancellationToken)
    {
        if (registry.Find(providerId) is not { } entry)
        {
            return new OidcKeyRevocationResult { Status = OidcKeyRevocationStatus.NotFound };
        }
        if (kid is null || !RecoveringTokenValidator.IsWellFormedKid(kid))
        {
            return Result(entry, OidcKeyRevocationStatus.KidMalformed);
        }
        await WhenLoadedAsync();
        bool changed;
        await _write.WaitAsync(cancellationToken);
        try
        {
            var has = Volatile.Read(ref _revoked).TryGetValue(entry.Id, out var kids) && kids.ContainsKey(kid);
            changed = has != revoke;
            if (changed)
            {
                var now = time.GetUtcNow();
                // Stored first: a revocation the store did not take is not reported as done.
                if (revoke)
                {
                    await Store.AddAsync(new RevokedKid(entry.Id, kid, now, AuditText.Clean(actor, AuditText.MaxShort)), cancellationToken);
                }
                else
                {
                    await Store.RemoveAsync(entry.Id, kid, cancellationToken);
                }
                Apply(entry.Id, kid, revoke ? now : null);
            }
        }
        finally
        {
            _write.Release();
        }
        var clean = AuditText.Clean(kid, AuditText.MaxKid)!;
        Log.KidRevocation(logger, entry.Id, clean, revoke ? OidcRpReasons.KidRevoke : OidcRpReasons.KidUnrevoke, AuditText.Clean(actor, AuditText.MaxShort)!, changed);
        await audit.WriteAsync(http.HttpContext, new OidcAuditRecordDraft(entry.Id, OidcAuditCategories.AdminKeyRevocation,
            OidcAuditOutcomes.Success)
        {
            Actor = actor,
            Reason = revoke ? OidcRpReasons.KidRevoke : OidcRpReasons.KidUnrevoke,
            Kid = kid,
            KidsAfter = GetRevoked(entry.Id),
        });
        return Result(entry, changed ? OidcKeyRevocationStatus.Done : OidcKeyRevocationStatus.Unchanged);
    }

    private async Task LapseAsync(ProviderEntry entry, string kid)
    {
        try
        {
            await _write.WaitAsync(CancellationToken.None);
            try
            {
                if (!Volatile.Read(ref _revoked).TryGetValue(entry.Id, out var kids) || !kids.ContainsKey(kid))
                {
                    return; // another token lapsed it first
                }
                await Store.RemoveAsync(entry.Id, kid, CancellationToken.None);
                Apply(entry.Id, kid, null);
            }
            finally
            {
                _write.Release();
            }
            Log.KidRevocation(logger, entry.Id, AuditText.Clean(kid, AuditText.MaxKid)!, OidcRpReasons.RevocationLapsed, SystemActor, true);
            await audit.WriteAsync(null, new OidcAuditRecordDraft(entry.Id, OidcAuditCategories.AdminKeyRevocation, OidcAuditOutcomes.Success)
            {
                Actor = SystemActor,
                Reason = OidcRpReasons.RevocationLapsed,
                Kid = kid,
            });
        }
#pragma warning disable CA1031 // off the request path: logged, and tried again by the next token naming the kid
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.RevocationsUnavailable(logger, e);
        }
    }

    // Under _write.
    private void Apply(string providerId, string kid, DateTimeOffset? revokedAt)
    {
        var map = Volatile.Read(ref _revoked).ToDictionary(StringComparer.OrdinalIgnoreCase);
        var kids = map.TryGetValue(providerId, out var existing) ? existing.ToDictionary(StringComparer.Ordinal) : new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (revokedAt is { } at)
        {
            kids[kid] = at;
        }
        else
        {
            kids.Remove(kid);
        }
        if (kids.Count == 0)
        {
            map.Remove(providerId);
        }
        else
        {
            map[providerId] = kids.ToFrozenDictionary(StringComparer.Ordinal);
        }
        Volatile.Write(ref _revoked, map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
        Interlocked.Increment(ref _version);
    }

    private OidcKeyRevocationResult Result(ProviderEntry entry, OidcKeyRevocationStatus status)
    {
        var snapshot = entry.Snapshot;
        return new OidcKeyRevocationResult
        {
            Status = status,
            ProviderId = entry.Id,
            Revoked = GetRevoked(entry.Id),
            Kids = snapshot is null ? [] : Trusted(entry, snapshot).Select(k => k.KeyId).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        };
    }
}
