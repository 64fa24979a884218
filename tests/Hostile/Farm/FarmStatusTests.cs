using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Farm;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile.Farm;

/// <summary><see cref="IOidcFarmStatus"/> (the admin page's farm line) tells the truth about the shared state.</summary>
public sealed class FarmStatusTests : FarmTest
{
    private static OidcFarmStatus Status(RpApp rp) => rp.Services.GetRequiredService<IOidcFarmStatus>().GetStatus();

    [Fact]
    public async Task Every_instance_reports_the_farm_on_its_own_name_and_the_same_snapshot_version_which_rises_with_a_rotation()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        var first = Rps.Select(Status).ToList();
        Assert.All(first, s => Assert.True(s.IsShared && s.IsAvailable));
        Assert.Equal(["rp1", "rp2", "rp3"], first.Select(s => s.Instance.Split('/')[0]));
        Assert.All(first, s => Assert.Equal(first[0].SnapshotVersions["alpha"], s.SnapshotVersions["alpha"])); // one shared snapshot

        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        var after = Rps.Select(Status).ToList();
        Assert.All(after, s => Assert.True(s.SnapshotVersions["alpha"] > first[0].SnapshotVersions["alpha"]));
        Assert.All(after, s => Assert.Equal(after[0].SnapshotVersions["alpha"], s.SnapshotVersions["alpha"]));

        await Redis.StopAsync();
        Assert.True(await EventuallyAsync(() => Rps.All(rp => !Status(rp).IsAvailable), TimeSpan.FromSeconds(10)), "Redis away shows as unreachable");
        Assert.All(Rps, rp => Assert.True(Status(rp).IsShared));
    }
}

/// <summary>Without a shared store the status says so.</summary>
public sealed class LocalFarmStatusTests : FarmTest
{
    protected override bool Shared => false;

    [Fact]
    public async Task A_single_instance_reports_the_farm_off_and_no_shared_snapshot()
    {
        Assert.Equal(HttpStatusCode.Found, await LoginAsync(Rps[0]));
        var status = Rps[0].Services.GetRequiredService<IOidcFarmStatus>().GetStatus();
        Assert.False(status.IsShared);
        Assert.False(status.IsAvailable);
        Assert.Empty(status.SnapshotVersions);
    }
}
