namespace OidcRp.Providers.Sql;

/// <summary>Where the SQL provider store keeps each provider's client secret.</summary>
public enum OidcProviderSecretStorage
{
    /// <summary>
    /// In the row, encrypted with ASP.NET Core Data Protection (<see cref="OidcProviderStoreOptions.DataProtectionPurpose"/>,
    /// then the provider id as a second purpose, so a protected secret copied into another provider's row does not
    /// decrypt). Every instance reading the table needs the same key ring.
    /// </summary>
    Protected,

    /// <summary>
    /// Not in the database at all: a row holds only a secret name, and <see cref="OidcProviderStoreOptions.ResolveSecret"/>
    /// turns it into the secret at each read (for example from Azure Key Vault).
    /// </summary>
    External,
}

/// <summary>Which secret <see cref="OidcProviderStoreOptions.ResolveSecret"/> is asked for.</summary>
/// <param name="ProviderId">The provider id as stored.</param>
/// <param name="SecretName">The name saved with the provider.</param>
public sealed record OidcProviderSecretRequest(string ProviderId, string SecretName);

/// <summary>How the SQL provider store keeps secrets and notices changes made by other instances.</summary>
public sealed class OidcProviderStoreOptions
{
    /// <summary>Where client secrets live (default <see cref="OidcProviderSecretStorage.Protected"/>).</summary>
    public OidcProviderSecretStorage SecretStorage { get; set; } = OidcProviderSecretStorage.Protected;

    /// <summary>The Data Protection purpose of protected secrets (default <c>OidcRp.Providers.Sql.ClientSecret</c>).</summary>
    public string DataProtectionPurpose { get; set; } = "OidcRp.Providers.Sql.ClientSecret";

    /// <summary>
    /// With <see cref="OidcProviderSecretStorage.External"/> (and required then): returns the secret of a name saved with
    /// a provider, or null for none. Called at every read of a provider that has a name (the registry reads a provider on
    /// first use and after each change; an admin list page reads each of its rows), so cache in it when the vault is slow. A throw makes the provider unreadable
    /// (logged without the secret; the registry refuses the record and keeps what it had).
    /// </summary>
    public Func<OidcProviderSecretRequest, CancellationToken, ValueTask<string?>>? ResolveSecret { get; set; }

    /// <summary>
    /// How often, while something is subscribed to the change signal, the store reads the changes other processes
    /// committed (default 5 s). Writes through this store signal at once. Null turns polling off (one instance only).
    /// </summary>
    public TimeSpan? PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most changed rows one poll query reads (default 500); a poll reads page after page until it is level.</summary>
    public int PollBatchSize { get; set; } = 500;
}
