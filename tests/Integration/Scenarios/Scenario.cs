using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>One scenario's world: fresh issuers at a real OP and an RP app that knows them, all on 127.0.0.1.</summary>
public sealed class Scenario : IAsyncDisposable
{
    private readonly Dictionary<string, IOpIssuer> _issuers;
    private readonly IOpFixture _op;

    private Scenario(IOpFixture op, RpApp rp, Dictionary<string, IOpIssuer> issuers)
    {
        _op = op;
        Rp = rp;
        _issuers = issuers;
    }

    public RpApp Rp { get; }

    public IOpIssuer this[string providerId] => _issuers[providerId];

    public IReadOnlyList<OidcAuditRecord> Rows => Rp.Audit.Rows;

    public static Task<Scenario> StartAsync(IOpFixture op, params string[] providerIds) => StartAsync(op, null, null, providerIds);

    /// <summary>As above, with the RP's own services and endpoints (see <see cref="BearerApi"/>); the issuers are started first.</summary>
    public static async Task<Scenario> StartAsync(IOpFixture op, Action<IServiceCollection, IReadOnlyDictionary<string, IOpIssuer>>? services,
        Action<Microsoft.AspNetCore.Builder.WebApplication>? map, params string[] providerIds)
    {
        var port = RpApp.FreePort();
        var issuers = new Dictionary<string, IOpIssuer>();
        foreach (var id in providerIds)
        {
            issuers[id] = await op.StartIssuerAsync(id, new OpClient(
                [$"http://127.0.0.1:{port}/auth/oidc/{id}/callback"],
                [$"http://127.0.0.1:{port}/auth/oidc/{id}/signout-callback"]));
        }
        var rp = await RpApp.StartAsync(issuers.Select(i => new RpProvider(i.Key, i.Value.Authority, i.Value.ClientId, i.Value.ClientSecret)), port: port,
            services: services is null ? null : collection => services(collection, issuers), map: map);
        return new Scenario(op, rp, issuers);
    }

    /// <summary>A fresh browser for a scenario user; it types the OP's credentials for that user (see <see cref="IOpFixture.Credentials"/>).</summary>
    public BrowserClient Browser(string user = "alice")
    {
        var (username, password) = _op.Credentials(user);
        return Rp.Browser(username, password);
    }

    /// <summary>The scenario's last step: counts it as run against this OP (see <see cref="OpMatrixLog"/>).</summary>
    public void Ran([CallerMemberName] string scenario = "") => OpMatrixLog.Ran(_op.Name, scenario);

    /// <summary>Names the steps of this scenario the OP's rotation cannot express (see <see cref="OpMatrixLog.NotExpressed"/>).</summary>
    public void NotExpressed(IEnumerable<string> steps, [CallerMemberName] string scenario = "") => OpMatrixLog.NotExpressed(_op.Name, scenario, steps);

    /// <summary>A whole login in a fresh browser; returns the RP's answer to the callback.</summary>
    public async Task<HttpResponseMessage> LoginAsync(string providerId, string user = "alice")
    {
        using var browser = Browser(user);
        return await browser.LoginAsync(providerId);
    }

    public async ValueTask DisposeAsync()
    {
        await Rp.DisposeAsync();
        foreach (var issuer in _issuers.Values)
        {
            await issuer.DisposeAsync();
        }
    }
}
