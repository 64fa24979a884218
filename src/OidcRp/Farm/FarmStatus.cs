namespace OidcRp.Farm;

/// <summary>Reads the farm status from <see cref="FarmSync"/> and the store's own availability hint.</summary>
internal sealed class FarmStatus(FarmSync farm) : IOidcFarmStatus
{
    public OidcFarmStatus GetStatus() =>
        new(farm.IsShared, farm.IsShared && farm.State.IsAvailable, farm.Origin, farm.SnapshotVersions());
}
