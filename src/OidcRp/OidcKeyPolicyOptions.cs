namespace OidcRp;

/// <summary>When and how often OidcRp fetches a provider's discovery document and JWKS.</summary>
public sealed class OidcKeyPolicyOptions
{
    /// <summary>Background refresh period of loaded providers (jittered down by up to 10%). Default 10 minutes.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Minimum time between two refreshes triggered by an unknown <c>kid</c>, counted from the last
    /// such attempt and doubled after each failed fetch. Bounds what a flood of forged tokens costs the
    /// provider: at most one JWKS fetch per window. Default 30 seconds.
    /// </summary>
    public TimeSpan KidMissCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Minimum time between two forced refreshes through the admin endpoint. Default 5 seconds.</summary>
    public TimeSpan AdminRefreshMinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time limit of one discovery, JWKS or token endpoint request. Default 10 seconds.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Also refresh when the token names a known <c>kid</c> but its signature fails, for providers that
    /// reuse a kid for a new key. Off by default: a bad signature on a known key is not a rotation.
    /// </summary>
    public bool RefreshOnKnownKidSignatureFailure { get; set; }

    /// <summary>Load every provider in the background at start-up instead of on first use. Default false.</summary>
    public bool WarmUp { get; set; }

    /// <summary>Largest discovery, JWKS or token endpoint response accepted, in bytes. Default 256 KiB.</summary>
    public int MaxResponseBytes { get; set; } = 256 * 1024;

    /// <summary>Largest number of keys accepted in one JWKS. Default 32.</summary>
    public int MaxKeys { get; set; } = 32;
}
