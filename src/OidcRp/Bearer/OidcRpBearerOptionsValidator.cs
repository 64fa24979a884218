using Microsoft.Extensions.Options;

namespace OidcRp.Bearer;

/// <summary>Checks every bearer scheme's options at start-up and reports every problem at once.</summary>
internal sealed class OidcRpBearerOptionsValidator(IOptions<OidcRpOptions> rpOptions) : IValidateOptions<OidcRpBearerOptions>
{
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, OidcRpBearerOptions options)
    {
        var errors = new List<string>();
        var where = $"OidcRp bearer scheme '{name}'";
        var providers = rpOptions.Value.Providers;
        var accepted = options.Providers.Count == 0
            ? providers.Keys.Select(id => (Id: id, Own: (OidcRpBearerProviderOptions?)null))
            : options.Providers.Select(p => (Id: p.Key, Own: (OidcRpBearerProviderOptions?)p.Value));
        foreach (var (id, own) in accepted)
        {
            var provider = providers.FirstOrDefault(p => string.Equals(p.Key, id, StringComparison.OrdinalIgnoreCase)).Value;
            if (provider is null)
            {
                errors.Add($"{where}: Providers:{id} names no provider of OidcRp:Providers.");
                continue;
            }
            var settings = BearerSettings.For(options, own);
            if (settings.Audiences.Count == 0)
            {
                // Without an audience a token any client of this provider obtained for any API would be accepted here.
                errors.Add($"{where}: provider '{id}' has no audience: set Audiences (RFC 9068 §4: the API must check aud).");
            }
            foreach (var algorithm in settings.Algorithms ?? [])
            {
                if (algorithm.Equals("none", StringComparison.OrdinalIgnoreCase) || algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{where}: provider '{id}': algorithm '{algorithm}' is not accepted for bearer tokens (no shared secret, never 'none').");
                }
            }
            if ((own?.ClockSkew ?? options.ClockSkew) is var skew && (skew < TimeSpan.Zero || skew > MaxClockSkew))
            {
                errors.Add($"{where}: provider '{id}': ClockSkew must be between 0 and 10 minutes.");
            }
            foreach (var key in settings.PinnedKeys)
            {
                if (Bearer.PinnedKeys.TryParse(key) is { Key: null, Error: var error })
                {
                    errors.Add($"{where}: provider '{id}': a pinned key is not usable: {error}.");
                }
            }
            if (settings.PinnedKeys.Count > 0 && provider.ExpectedIssuer is null)
            {
                errors.Add($"{where}: provider '{id}' has pinned keys: set its Issuer (or Authority), which pinned tokens must carry.");
            }
        }
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxClockSkew)
        {
            errors.Add($"{where}: ClockSkew must be between 0 and 10 minutes.");
        }
        foreach (var header in options.TokenHeaders)
        {
            if (string.IsNullOrWhiteSpace(header) || header.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{where}: TokenHeaders holds '{header}', which cannot carry a bearer token.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
