namespace OidcRp.Farm;

/// <summary>
/// A read-only view of this instance's part in a farm, for status and admin pages: whether state is shared, whether the
/// shared store answers now, this instance's name, and the shared snapshot versions it holds. Registered by
/// <c>AddMultiOidc</c> (local: nothing shared) and meaningful with a shared store such as <c>AddOidcRpRedis</c>.
/// </summary>
public interface IOidcFarmStatus
{
    /// <summary>The status now (a copy; cheap, no call to the shared store).</summary>
    /// <returns>This instance's farm status.</returns>
    OidcFarmStatus GetStatus();
}

/// <summary>This instance's farm status at one moment.</summary>
/// <param name="IsShared">True when a shared store is registered (farm on); false for a single instance.</param>
/// <param name="IsAvailable">True while the shared store is reachable (always false when not shared).</param>
/// <param name="Instance">This instance in broadcasts: its configured name (or machine and process) and a random suffix.</param>
/// <param name="SnapshotVersions">
/// Per provider id, the highest shared key-snapshot version this instance published or adopted (absent: none yet).
/// Instances holding the same version hold the same keys.
/// </param>
public sealed record OidcFarmStatus(bool IsShared, bool IsAvailable, string Instance, IReadOnlyDictionary<string, long> SnapshotVersions);
