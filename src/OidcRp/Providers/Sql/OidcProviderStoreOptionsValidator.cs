using Microsoft.Extensions.Options;

namespace OidcRp.Providers.Sql;

/// <summary>Checks <see cref="OidcProviderStoreOptions"/> at start-up and reports every problem at once.</summary>
internal sealed class OidcProviderStoreOptionsValidator : IValidateOptions<OidcProviderStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, OidcProviderStoreOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.SecretStorage))
        {
            errors.Add("OidcProviderStore: SecretStorage must be Protected or External.");
        }
        if (options.SecretStorage == OidcProviderSecretStorage.External && options.ResolveSecret is null)
        {
            errors.Add("OidcProviderStore: SecretStorage External needs ResolveSecret (the callback that turns a secret name into the secret).");
        }
        if (options.SecretStorage == OidcProviderSecretStorage.Protected && options.ResolveSecret is not null)
        {
            errors.Add("OidcProviderStore: ResolveSecret is used only with SecretStorage External; with Protected the secret is in the row.");
        }
        if (string.IsNullOrWhiteSpace(options.DataProtectionPurpose))
        {
            errors.Add("OidcProviderStore: DataProtectionPurpose must not be empty.");
        }
        if (options.PollInterval is { } interval && (interval < TimeSpan.FromMilliseconds(10) || interval > TimeSpan.FromDays(1)))
        {
            errors.Add("OidcProviderStore: PollInterval must be between 10 ms and 1 day, or null (no polling).");
        }
        if (options.PollBatchSize is < 1 or > 10_000)
        {
            errors.Add("OidcProviderStore: PollBatchSize must be between 1 and 10000.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
