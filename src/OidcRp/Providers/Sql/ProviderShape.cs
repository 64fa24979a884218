namespace OidcRp.Providers.Sql;

/// <summary>
/// The check a provider passes before the store saves it: the same per-provider rules start-up applies to a
/// configured provider (id, URLs, algorithms, tenants, paths), so a stored row is one the registry accepts, plus the
/// store's own: a handler callback is code and cannot be stored.
/// </summary>
internal static class ProviderShape
{
    public static List<string> Check(OidcProviderOptions provider)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(provider.Id))
        {
            errors.Add("OidcProviderStore: the provider's Id is required.");
            return errors;
        }
        var single = new OidcRpOptions();
        single.Providers[provider.Id] = provider;
        var result = new OidcRpOptionsValidator().Validate(null, single);
        if (result.Failed)
        {
            errors.AddRange(result.Failures.Select(f => f.Replace("OidcRp:Providers:", "OidcProviderStore:", StringComparison.Ordinal)));
        }
        if (provider.ConfigureHandler is not null)
        {
            errors.Add($"OidcProviderStore:{provider.Id}: ConfigureHandler is code and cannot be stored; set it through OidcRpOptions.ConfigureHandler.");
        }
        return errors;
    }
}
