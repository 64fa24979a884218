using OidcRp.Farm;

namespace OidcRp.Callback;

/// <summary>The replay guard in a farm: one use per flow across every instance (<see cref="IOidcFarmState.TryConsumeFlowAsync"/>).</summary>
internal sealed partial class CallbackReplayGuard
{
    private readonly FarmSync _farm = FarmSync.Local;

    /// <summary>The guard of an instance in a farm (the container's choice: the constructor with the most services).</summary>
    public CallbackReplayGuard(TimeProvider time, FarmSync farm)
        : this(time)
    {
        _farm = farm;
    }

    /// <summary>
    /// True for the first callback of this flow in the farm. This instance's memory answers first (a replay here costs
    /// no round trip); then the shared store (<c>SET NX</c>), so a replay sent to another instance is refused too. When
    /// the store cannot answer, this instance's answer stands: a replay on another instance then reaches the token
    /// endpoint, where the OP's single-use code refuses it (RFC 6749 §4.1.2).
    /// </summary>
    public async Task<bool> TryConsumeAsync(string providerId, UInt128 stateHash)
    {
        if (!TryConsume(providerId, stateHash))
        {
            return false;
        }
        return !_farm.IsShared || (await _farm.TryConsumeFlowAsync(providerId, stateHash, Lifetime) ?? true);
    }
}
