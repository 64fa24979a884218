using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Integration.Package;

/// <summary>
/// The packed package as a new user gets it: a fresh app outside the solution restores OidcRp from the packed folder only
/// (isolated package cache), builds (with the docs' snippets, when there are any), runs on 127.0.0.1 and signs a user in
/// at a real OP (oidc-provider), loading OidcRp.dll from the package. Never skipped.
/// </summary>
public sealed class FreshAppLoginTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_fresh_app_restores_the_packed_package_builds_and_signs_in_at_a_real_op()
    {
        var packages = await PackedPackages.GetAsync();
        await using var app = await FreshApp.CreateAsync(packages);
        var restore = Stopwatch.StartNew();
        await app.RestoreAsync();
        restore.Stop();
        var build = Stopwatch.StartNew();
        await app.BuildAsync();
        build.Stop();
        output.WriteLine($"packages {packages.Version} from {packages.Folder}; snippets compiled: {app.Snippets}; "
            + $"restore {restore.Elapsed.TotalSeconds:0.0} s, build {build.Elapsed.TotalSeconds:0.0} s");

        var port = RpApp.FreePort();
        await using var op = new OidcProviderOp();
        await using var issuer = await op.StartIssuerAsync("op", new OpClient(
            [$"http://127.0.0.1:{port}/auth/oidc/op/callback"], [$"http://127.0.0.1:{port}/auth/oidc/op/signout-callback"]));
        await app.StartAsync(port, issuer.Authority, issuer.ClientId, issuer.ClientSecret);

        using var browser = new BrowserClient(app.BaseUrl) { Username = "alice", Password = "alice-password" };
        using var callback = await browser.LoginAsync("op");
        using var whoami = await browser.GetAsync("/whoami");
        using var package = await browser.GetAsync("/package");

        Assert.True(callback.StatusCode == HttpStatusCode.Found, $"expected a signed-in redirect, got {(int)callback.StatusCode}: {browser.Bodies.LastOrDefault()}");
        Assert.Equal("/whoami", callback.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        var user = JsonDocument.Parse(await whoami.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("op", "alice"), (user.GetProperty("provider").GetString(), user.GetProperty("sub").GetString()));
        Assert.Equal(1, (await issuer.CountsAsync()).Token);
        // The assemblies the app ran came from the isolated cache's folder of the packed version (NuGet lower-cases both).
        var loaded = JsonDocument.Parse(await package.Content.ReadAsStringAsync()).RootElement;
        foreach (var (id, property) in new[] { ("OidcRp", "oidcRp"), ("OidcRp.StackExchangeRedis", "redis") })
        {
            var expected = Path.Combine(app.PackageCache, id.ToLowerInvariant(), packages.Version.ToLowerInvariant(), "lib", "net10.0", id + ".dll");
            Assert.Equal(expected, loaded.GetProperty(property).GetString());
        }
    }
}
