using Microsoft.Extensions.Options;

namespace OidcRp.Providers;

/// <summary>Gives each provider its id from its configuration key when none was set.</summary>
internal sealed class PostConfigureProviderIds : IPostConfigureOptions<OidcRpOptions>
{
    public void PostConfigure(string? name, OidcRpOptions options)
    {
        foreach (var (key, provider) in options.Providers)
        {
            if (string.IsNullOrEmpty(provider.Id))
            {
                provider.Id = key;
            }
        }
    }
}
