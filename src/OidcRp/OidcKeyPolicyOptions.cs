namespace OidcRp;

/// <summary>When and how often OidcRp fetches a provider's discovery document and JWKS.</summary>
public sealed class OidcKeyPolicyOptions
{
    /// <summary>Background refresh period of loaded providers (jittered down by up to 10%). Default 10 minutes.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The window of the kid-miss rule: a token naming a kid the cached JWKS lacks may fetch the JWKS when no fetch
    /// in this window already looked that kid up, drawn from the path's budget (<see cref="KidMissBudget"/>,
    /// <see cref="BearerKidMissBudget"/>). Also caps the retry backoff of a provider that never loaded.
    /// Replaces the cooldown of earlier versions (<c>KidMissCooldown</c>), which counted from the last kid-miss
    /// fetch and so failed every second rotation inside it. Default 30 seconds.
    /// </summary>
    public TimeSpan KidMissWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Kid-miss fetches an ID token (from the provider's token endpoint) may cause per provider in any
    /// <see cref="KidMissWindow"/>. A fetch that brought the kid and verified the token gives its draw back, so only
    /// kids the provider does not publish spend it: a random-kid flood costs the provider at most this many JWKS
    /// requests per window, and genuine rotations, however close together, cost one fetch each. Default 3.
    /// </summary>
    public int KidMissBudget { get; set; } = 3;

    /// <summary>
    /// The same budget for bearer tokens on APIs, kept apart so that tokens anyone can send never spend what
    /// logins recover with. Default 3.
    /// </summary>
    public int BearerKidMissBudget { get; set; } = 3;

    /// <summary>
    /// How many unknown kids each provider and path remembers as looked up and missing (each for one
    /// <see cref="KidMissWindow"/>; the oldest is forgotten first). Default 1024.
    /// </summary>
    public int MaxRememberedUnknownKids { get; set; } = 1024;

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

    /// <summary>
    /// Where revoked kids are kept when no SQL audit store is registered (with one, they live in its database, shared by every
    /// instance). Default: <c>oidcrp-revoked-kids.json</c> in the application's content root.
    /// </summary>
    public string? RevocationFile { get; set; }

    /// <summary>Largest number of keys accepted in one JWKS. Default 32.</summary>
    public int MaxKeys { get; set; } = 32;
}
