using Microsoft.AspNetCore.DataProtection;

namespace OidcRp.Providers.Sql;

/// <summary>
/// The client secret's way into and out of a row (<see cref="OidcProviderSecretStorage"/>). Error texts name the
/// column or the mode, never the value.
/// </summary>
internal sealed class ProviderSecrets
{
    private readonly OidcProviderStoreOptions _options;
    private readonly IDataProtector? _protector;

    public ProviderSecrets(OidcProviderStoreOptions options, IDataProtectionProvider? protection)
    {
        _options = options;
        if (options.SecretStorage == OidcProviderSecretStorage.Protected)
        {
            if (protection is null)
            {
                throw new ArgumentException("SecretStorage Protected needs ASP.NET Core Data Protection (services.AddDataProtection()).", nameof(protection));
            }
            _protector = protection.CreateProtector(options.DataProtectionPurpose);
        }
    }

    /// <summary>The two secret columns of a row being saved, or an error.</summary>
    public (string? Protected, string? Name, string? Error) ForWrite(string idNormalized, string? clientSecret, string? secretName)
    {
        if (_protector is { } protector)
        {
            if (secretName is not null)
            {
                return (null, null, "a secret name is for SecretStorage External; this store keeps the ClientSecret itself, protected.");
            }
            return (string.IsNullOrEmpty(clientSecret) ? null : protector.CreateProtector(idNormalized).Protect(clientSecret), null, null);
        }
        if (!string.IsNullOrEmpty(clientSecret))
        {
            return (null, null, "this store does not keep client secrets (SecretStorage External): save the secret's name, not the secret.");
        }
        if (secretName is not null && (secretName.Length is 0 or > 256 || secretName.Any(char.IsControl)))
        {
            return (null, null, "the secret name must be 1-256 characters without control characters.");
        }
        return (null, secretName, null);
    }

    /// <summary>The secret of a row read back; throws <see cref="ProviderRowException"/> when it cannot be had.</summary>
    public async ValueTask<string?> ReadAsync(string id, string idNormalized, string? protectedValue, string? secretName, CancellationToken cancellationToken)
    {
        if (_protector is { } protector)
        {
            if (secretName is not null)
            {
                throw new ProviderRowException("secret_storage_mismatch");
            }
            if (protectedValue is null)
            {
                return null;
            }
            try
            {
                return protector.CreateProtector(idNormalized).Unprotect(protectedValue);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // The key ring lacks the key, or the value was moved from another provider's row or altered.
                // The exception text is dropped on purpose: only the code travels.
                throw new ProviderRowException("secret_unprotect_failed");
            }
        }
        if (protectedValue is not null)
        {
            throw new ProviderRowException("secret_storage_mismatch");
        }
        if (secretName is null)
        {
            return null;
        }
        try
        {
            return await _options.ResolveSecret!(new OidcProviderSecretRequest(id, secretName), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ProviderRowException("secret_resolve_failed", e.GetType().Name);
        }
    }
}

/// <summary>A row the store cannot turn into a provider; <see cref="Code"/> and <see cref="Detail"/> never hold row content.</summary>
internal sealed class ProviderRowException(string code, string? detail = null) : Exception(code)
{
    public string Code { get; } = code;

    public string? Detail { get; } = detail;
}
