namespace OidcRp.Providers.Sql;

/// <summary>
/// The check a provider passes before the store saves it: the registry's own per-provider check for a store
/// provider (<see cref="OidcRpOptionsValidator.ValidateProvider"/>: id, URLs, algorithms, tenants, the default
/// callback paths a store provider must keep, no handler code), so a stored row is one the registry accepts.
/// </summary>
internal static class ProviderShape
{
    public static List<string> Check(OidcProviderOptions provider) =>
        string.IsNullOrEmpty(provider.Id)
            ? ["OidcRp store provider: the provider's Id is required."]
            : OidcRpOptionsValidator.ValidateProvider(provider.Id, provider, fromStore: true);
}
