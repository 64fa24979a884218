namespace OidcRp.Farm;

/// <summary>How the instances of a farm share state (<see cref="IOidcFarmState"/>); unused by a single instance.</summary>
public sealed class OidcFarmOptions
{
    /// <summary>
    /// The key of the HMAC-SHA256 over shared key snapshots and broadcast messages, base64, at least 32 bytes, the same
    /// on every instance of the app (from configuration or a secret store, never from the shared store itself).
    /// Whoever can write to the shared store without this key cannot inject keys or revocations.
    /// </summary>
    public string? SharedKey { get; set; }

    /// <summary>The most any shared-state call may take before OidcRp falls back to local state. Default 500 ms.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A name for this instance in logs and the status view (default: the machine name and process id).</summary>
    public string? InstanceName { get; set; }
}
