using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile.Farm;

/// <summary>
/// Providers from one shared store (a database): each instance has its own view of the rows, and only the instance that
/// wrote a row gets the store's change signal, as with a database whose change notification is in-process. The farm
/// carries the change to the others.
/// </summary>
public sealed class FarmStoreTests : FarmTest
{
    private readonly InMemoryProviderStore _rows = new();
    private readonly InstanceView[] _views = [null!, null!, null!];

    protected override void ConfigureAuthentication(int instance, AuthenticationBuilder builder)
    {
        _views[instance] = new InstanceView(_rows);
        builder.AddOidcProviderStore(_views[instance]);
    }

    [Fact]
    public async Task A_provider_added_on_one_instance_is_live_on_all()
    {
        // Every instance looked "beta" up before it existed: each remembers it as absent (for 30 s).
        foreach (var rp in Rps)
        {
            using var browser = rp.Browser();
            using var response = await browser.GetAsync($"{rp.BaseUrl}/auth/oidc/beta/login");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        _rows.Seed(StoreProviderTests.Row(Op, "beta"));
        _views[0].Signal(new OidcProviderStoreChange { ProviderIds = ["beta"], Actor = "admin" }); // only the writer's own signal

        Assert.True(await EventuallyAsync(() => Rps.All(rp => rp.Services.GetRequiredService<OidcProviderRegistry>().Store!.Rereads >= 1),
            TimeSpan.FromSeconds(1)), "every instance re-read the store within 1 s");
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginStatusAsync(rp, "beta"));
        }
    }

    private static async Task<HttpStatusCode> LoginStatusAsync(RpApp rp, string provider)
    {
        using var browser = rp.Browser();
        using var response = await browser.LoginAsync(provider);
        return response.StatusCode;
    }

    /// <summary>One instance's connection to the shared rows: reads go to the rows, change signals stay with this view.</summary>
    private sealed class InstanceView(InMemoryProviderStore rows) : IOidcProviderStore
    {
        private readonly List<Action<OidcProviderStoreChange>> _subscribers = [];

        public void Signal(OidcProviderStoreChange change)
        {
            Action<OidcProviderStoreChange>[] subscribers;
            lock (_subscribers)
            {
                subscribers = [.. _subscribers];
            }
            foreach (var subscriber in subscribers)
            {
                subscriber(change);
            }
        }

        public Task<OidcProviderRecord?> FindByIdAsync(string providerId, CancellationToken cancellationToken) =>
            rows.FindByIdAsync(providerId, cancellationToken);

        public Task<OidcProviderRecord?> FindByCallbackPathAsync(string path, CancellationToken cancellationToken) =>
            rows.FindByCallbackPathAsync(path, cancellationToken);

        public Task<IReadOnlyList<OidcProviderRecord>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken) =>
            rows.ListAsync(afterId, limit, cancellationToken);

        public IDisposable Subscribe(Action<OidcProviderStoreChange> onChange)
        {
            lock (_subscribers)
            {
                _subscribers.Add(onChange);
            }
            return new Unsubscribe(() =>
            {
                lock (_subscribers)
                {
                    _subscribers.Remove(onChange);
                }
            });
        }

        private sealed class Unsubscribe(Action action) : IDisposable
        {
            public void Dispose() => action();
        }
    }
}
