using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OidcRp;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the application's <see cref="IOidcProviderStore"/> as a source of OidcRp providers.</summary>
public static class OidcProviderStoreExtensions
{
    /// <summary>
    /// Adds <typeparamref name="TStore"/> (a singleton) as the provider store: providers not in configuration are
    /// read from it on first use and re-read when it signals a change. Configuration may then list no provider.
    /// </summary>
    /// <typeparam name="TStore">The store.</typeparam>
    /// <param name="builder">The builder returned by <c>AddMultiOidc</c>.</param>
    /// <returns>The builder.</returns>
    public static AuthenticationBuilder AddOidcProviderStore<TStore>(this AuthenticationBuilder builder)
        where TStore : class, IOidcProviderStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TStore>();
        return builder.AddOidcProviderStore(sp => sp.GetRequiredService<TStore>());
    }

    /// <summary>Adds <paramref name="store"/> as the provider store (see <see cref="AddOidcProviderStore{TStore}(AuthenticationBuilder)"/>).</summary>
    /// <param name="builder">The builder returned by <c>AddMultiOidc</c>.</param>
    /// <param name="store">The store.</param>
    /// <returns>The builder.</returns>
    public static AuthenticationBuilder AddOidcProviderStore(this AuthenticationBuilder builder, IOidcProviderStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return builder.AddOidcProviderStore(_ => store);
    }

    /// <summary>Adds the store <paramref name="factory"/> makes (once) as the provider store.</summary>
    /// <param name="builder">The builder returned by <c>AddMultiOidc</c>.</param>
    /// <param name="factory">Makes the store.</param>
    /// <returns>The builder.</returns>
    public static AuthenticationBuilder AddOidcProviderStore(this AuthenticationBuilder builder, Func<IServiceProvider, IOidcProviderStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        // One store: a second registration replaces the first.
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        builder.Services.Configure<OidcRpOptions>(o => o.HasProviderStore = true);
        return builder;
    }
}
