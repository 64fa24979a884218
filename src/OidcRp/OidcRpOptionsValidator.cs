using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OidcRp;

/// <summary>
/// Checks <see cref="OidcRpOptions"/> at start-up and reports every problem at once; a failure stops start-up.
/// Once the options have passed, later validations (configuration reloads) skip: a reload is applied provider by
/// provider by the registry, which checks each one with <see cref="ValidateProvider"/>.
/// </summary>
internal sealed partial class OidcRpOptionsValidator : IValidateOptions<OidcRpOptions>
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex UrlSafeId();

    internal static bool IsValidId(string id) => UrlSafeId().IsMatch(id);

    public ValidateOptionsResult Validate(string? name, OidcRpOptions options)
    {
        var errors = new List<string>();
        if (Volatile.Read(ref _started))
        {
            // After start-up a reload must never throw (it would inside the reload callback): each provider is
            // checked on its own by the registry, which refuses that provider's change and keeps the old version.
            // The other settings are read once at start-up and not reloaded.
            return ValidateOptionsResult.Skip;
        }
        if (options.Providers.Count == 0 && !options.HasProviderStore)
        {
            errors.Add("OidcRp: no provider is configured (OidcRp:Providers is empty).");
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, provider) in options.Providers)
        {
            if (seen.TryGetValue(key, out var other))
            {
                errors.Add($"OidcRp:Providers:{key}: duplicate provider id; '{other}' differs only in letter case.");
            }
            else
            {
                seen[key] = key;
            }
            errors.AddRange(ValidateProvider(key, provider, fromStore: false));
        }

        var keys = options.Keys;
        CheckPositive(errors, "RefreshInterval", keys.RefreshInterval);
        CheckPositive(errors, "KidMissWindow", keys.KidMissWindow);
        if (keys.KidMissBudget is < 1 or > 100 || keys.BearerKidMissBudget is < 1 or > 100)
        {
            errors.Add("OidcRp:Keys:KidMissBudget and BearerKidMissBudget must be between 1 and 100 (JWKS fetches per kid-miss window).");
        }
        if (keys.MaxRememberedUnknownKids is < 1 or > 100_000)
        {
            errors.Add("OidcRp:Keys:MaxRememberedUnknownKids must be between 1 and 100000.");
        }
        CheckPositive(errors, "AdminRefreshMinInterval", keys.AdminRefreshMinInterval);
        CheckPositive(errors, "FetchTimeout", keys.FetchTimeout);
        if (keys.MaxResponseBytes <= 0)
        {
            errors.Add("OidcRp:Keys:MaxResponseBytes must be positive.");
        }
        if (keys.MaxKeys <= 0)
        {
            errors.Add("OidcRp:Keys:MaxKeys must be positive.");
        }
        var audit = options.Audit;
        if (audit.AggregationWindow != TimeSpan.Zero
            && (audit.AggregationWindow < TimeSpan.FromSeconds(1) || audit.AggregationWindow > TimeSpan.FromHours(1)))
        {
            errors.Add("OidcRp:Audit:AggregationWindow must be 00:00:00 (off) or between 1 second and 1 hour.");
        }
        if (audit.MaxOpenAggregates is < 1 or > 1_000_000)
        {
            errors.Add("OidcRp:Audit:MaxOpenAggregates must be between 1 and 1,000,000.");
        }
        if (options.ErrorPath is { } errorPath && !ReturnUrls.IsLocal(errorPath))
        {
            errors.Add("OidcRp:ErrorPath must be a local path starting with '/'.");
        }

        if (errors.Count > 0)
        {
            return ValidateOptionsResult.Fail(errors);
        }
        Volatile.Write(ref _started, true);
        return ValidateOptionsResult.Success;
    }

    private bool _started;

    /// <summary>
    /// One provider's own checks, with nothing about the others (ids unique ignoring case and paths free are the
    /// registry's, against the providers in place): used for every provider at start-up, and for each new version
    /// of one provider at run time, where a failure refuses that version and keeps the old one.
    /// </summary>
    internal static List<string> ValidateProvider(string key, OidcProviderOptions provider, bool fromStore)
    {
        var errors = new List<string>();
        var where = fromStore ? $"OidcRp store provider {key}" : $"OidcRp:Providers:{key}";
        var id = string.IsNullOrEmpty(provider.Id) ? key : provider.Id;
        if (!string.Equals(id, key, StringComparison.Ordinal))
        {
            errors.Add($"{where}: Id '{id}' differs from its key '{key}'.");
        }
        if (!IsValidId(key))
        {
            errors.Add($"{where}: the id must be 1-64 characters of letters, digits, '-' or '_', starting with a letter or digit.");
        }
        else if (Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.ReservedIds.Contains(key))
        {
            errors.Add($"{where}: the id '{key}' is reserved: it collides with OidcRp's routes under {Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.Prefix}/ (reserved: {string.Join(", ", Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.ReservedIds.Order(StringComparer.Ordinal))}).");
        }

        if (string.IsNullOrWhiteSpace(provider.ClientId))
        {
            errors.Add($"{where}: ClientId is required.");
        }
        if (string.IsNullOrWhiteSpace(provider.Authority) && string.IsNullOrWhiteSpace(provider.MetadataAddress))
        {
            errors.Add($"{where}: Authority (or MetadataAddress) is required.");
        }
        CheckUrl(errors, where, "Authority", provider.Authority, provider.RequireHttpsMetadata);
        CheckUrl(errors, where, "MetadataAddress", provider.MetadataAddress, provider.RequireHttpsMetadata);
        CheckUrl(errors, where, "Issuer", provider.Issuer, provider.RequireHttpsMetadata);
        CheckTenants(errors, where, provider);
        CheckAlgorithms(errors, where, provider);
        CheckRequests(errors, where, provider);
        CheckPath(errors, where, "CallbackPath", provider.CallbackPath);
        CheckPath(errors, where, "SignedOutCallbackPath", provider.SignedOutCallbackPath);
        if (fromStore)
        {
            // Store providers are found on the callback by the shape of the path (/auth/oidc/{id}/callback), before
            // any store query: another path could not be found without asking the store on every request.
            CheckStorePath(errors, where, "CallbackPath", provider.CallbackPath, $"{Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.Prefix}/{key}/callback");
            CheckStorePath(errors, where, "SignedOutCallbackPath", provider.SignedOutCallbackPath, $"{Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.Prefix}/{key}/signout-callback");
            if (provider.ConfigureHandler is not null)
            {
                errors.Add($"{where}: ConfigureHandler cannot come from a store.");
            }
        }
        return errors;
    }

    private static void CheckStorePath(List<string> errors, string where, string name, string? value, string expected)
    {
        if (value is not null && !string.Equals(value, expected, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{where}: {name} must be empty or '{expected}' for a store provider.");
        }
    }

    private static void CheckUrl(List<string> errors, string where, string name, string? value, bool requireHttps)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{where}: {name} must be an absolute http(s) URL.");
        }
        else if (requireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{where}: {name} must use https (set RequireHttpsMetadata to false only for local development).");
        }
        else if (!string.IsNullOrEmpty(uri.Fragment) || (name != "MetadataAddress" && !string.IsNullOrEmpty(uri.Query)))
        {
            errors.Add($"{where}: {name} must not have a fragment{(name == "MetadataAddress" ? "" : " or query")}.");
        }
    }

    private static void CheckTenants(List<string> errors, string where, OidcProviderOptions provider)
    {
        if (provider.Issuer?.Contains(Providers.IssuerRule.TenantPlaceholder, StringComparison.OrdinalIgnoreCase) == true)
        {
            errors.Add($"{where}: Issuer holds {Providers.IssuerRule.TenantPlaceholder}; a multi-tenant issuer is IssuerTemplate (not needed for an Entra ID common, organizations or consumers Authority).");
        }
        if (provider.IssuerTemplate is { } template)
        {
            CheckUrl(errors, where, "IssuerTemplate", template, provider.RequireHttpsMetadata);
            if (!string.IsNullOrEmpty(provider.Issuer))
            {
                errors.Add($"{where}: set either Issuer or IssuerTemplate, not both.");
            }
            // Once, as a whole path segment: the tenant can never reach the host, the scheme or another segment's text.
            var placeholder = Providers.IssuerRule.TenantPlaceholder;
            var at = template.IndexOf(placeholder, StringComparison.Ordinal);
            var segmentStart = at > 0 && template[at - 1] == '/';
            var segmentEnd = at >= 0 && (at + placeholder.Length == template.Length || template[at + placeholder.Length] == '/');
            if (at < 0 || template.IndexOf(placeholder, at + 1, StringComparison.Ordinal) >= 0 || !segmentStart || !segmentEnd
                || !Uri.TryCreate(template, UriKind.Absolute, out var uri) || uri.Host.Contains('{', StringComparison.Ordinal))
            {
                errors.Add($"{where}: IssuerTemplate must hold {placeholder} exactly once, as a whole path segment (https://host/{placeholder}/v2.0).");
            }
        }
        foreach (var tenant in provider.AllowedTenants)
        {
            if (!Providers.IssuerRule.TryParseTenant(tenant, out _))
            {
                errors.Add($"{where}: AllowedTenants: '{tenant}' is not a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47; domains are not accepted).");
            }
        }
        if (provider.AllowedTenants.Count > 0 && !Providers.IssuerRule.IsTemplateProvider(provider))
        {
            errors.Add($"{where}: AllowedTenants applies only to a multi-tenant provider (an Entra ID common, organizations or consumers Authority, or IssuerTemplate); this provider has one issuer.");
        }
    }

    private static void CheckAlgorithms(List<string> errors, string where, OidcProviderOptions provider)
    {
        foreach (var algorithm in provider.SigningAlgorithms)
        {
            if (Providers.MetadataParser.SymmetricAlgorithmKeyBytes.TryGetValue(algorithm ?? "", out var keyBytes))
            {
                if (System.Text.Encoding.UTF8.GetByteCount(provider.ClientSecret ?? "") < keyBytes)
                {
                    errors.Add($"{where}: SigningAlgorithms lists {algorithm}, which is verified with the client secret; ClientSecret must be at least {keyBytes} bytes (RFC 7518 §3.2).");
                }
            }
            else if (algorithm is null || !Providers.MetadataParser.IsKnownAsymmetric(algorithm))
            {
                errors.Add($"{where}: SigningAlgorithms: '{algorithm}' is not supported (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, or HS256, HS384, HS512 keyed with the client secret; never none).");
            }
        }
    }

    private static readonly string[] PromptValues = ["none", "login", "consent", "select_account"];

    private static void CheckRequests(List<string> errors, string where, OidcProviderOptions provider)
    {
        if (provider.ResponseMode is { } mode && !Callback.ProviderRequests.ResponseModes.Contains(mode))
        {
            errors.Add(mode == "fragment"
                ? $"{where}: ResponseMode 'fragment' is not supported: a fragment never reaches the server. Use form_post or query."
                : $"{where}: ResponseMode '{mode}' is not supported (form_post or query; empty: chosen from the provider's discovery document).");
        }
        if (provider.ClientAuthentication is { } method)
        {
            if (!Callback.ProviderRequests.ClientAuthentications.Contains(method))
            {
                errors.Add($"{where}: ClientAuthentication '{method}' is not supported (client_secret_basic or client_secret_post; private_key_jwt and client_secret_jwt are not).");
            }
            else if (string.IsNullOrEmpty(provider.ClientSecret))
            {
                errors.Add($"{where}: ClientAuthentication '{method}' needs a ClientSecret.");
            }
        }
        if (provider.Prompt is { } prompt)
        {
            var values = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (values.Length == 0 || values.Any(v => !PromptValues.Contains(v, StringComparer.Ordinal)) || (values.Contains("none") && values.Length > 1))
            {
                errors.Add($"{where}: Prompt '{prompt}' is not valid (OIDC Core §3.1.2.1: none, or any of login, consent, select_account, space separated).");
            }
        }
        if (provider.MaxAge is { } maxAge && maxAge < TimeSpan.Zero)
        {
            errors.Add($"{where}: MaxAge must not be negative.");
        }
    }

    private static void CheckPath(List<string> errors, string where, string name, string? value)
    {
        if (value is not null && !ReturnUrls.IsLocal(value))
        {
            errors.Add($"{where}: {name} must be a local path starting with '/'.");
        }
    }

    private static void CheckPositive(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"OidcRp:Keys:{name} must be positive.");
        }
    }
}
