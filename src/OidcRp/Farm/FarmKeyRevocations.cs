using OidcRp.Providers;

namespace OidcRp.Farm;

/// <summary>
/// <see cref="IOidcKeyRevocations"/> in a farm: a revocation made here (admin endpoint or app code) is applied here,
/// then broadcast so every instance refuses the kid within a second (<see cref="FarmListener"/> applies it there with
/// the actor <c>oidcrp-farm</c>). When the store is away the revocation stands here and in this instance's revocation
/// file only: the operator repeats it on each instance, or once the store is back.
/// </summary>
internal sealed class FarmKeyRevocations(KeyRevocations inner, FarmSync farm) : IOidcKeyRevocations
{
    public IReadOnlyList<string> GetRevoked(string providerId) => inner.GetRevoked(providerId);

    public async Task<OidcKeyRevocationResult> RevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken)
    {
        var result = await inner.RevokeAsync(providerId, kid, actor, cancellationToken);
        if (result.Status == OidcKeyRevocationStatus.Done)
        {
            await farm.BroadcastAsync(FarmMessage.Revoke, result.ProviderId!, kid);
        }
        return result;
    }

    public async Task<OidcKeyRevocationResult> UnrevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken)
    {
        var result = await inner.UnrevokeAsync(providerId, kid, actor, cancellationToken);
        if (result.Status == OidcKeyRevocationStatus.Done)
        {
            await farm.BroadcastAsync(FarmMessage.Unrevoke, result.ProviderId!, kid);
        }
        return result;
    }
}
