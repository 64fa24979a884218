using System.Net;
using OidcRp.Tests.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Hostile.Farm;

/// <summary>
/// The control for <see cref="FarmTests"/>: the same three instances without <c>AddOidcRpRedis</c> are islands, so
/// what the farm tests count is the farm's doing.
/// </summary>
public sealed class IslandControlTests(ITestOutputHelper output) : FarmTest
{
    protected override bool Shared => false;

    [Fact]
    public async Task Without_Redis_each_instance_fetches_for_itself_and_spends_its_own_budget()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, Op.CreateAccessToken()));
        }
        Assert.Equal(3, Op.Count("jwks"));

        Op.Rotate("op-key-2", TestOpRotation.KeepOld);
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, Op.CreateAccessToken()));
        }
        Assert.Equal(6, Op.Count("jwks")); // a rotation costs one fetch per instance

        var budget = new OidcKeyPolicyOptions().BearerKidMissBudget;
        for (var i = 0; i < 45; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[i % 3], Op.CreateAccessToken(kid: $"forged-{i}")));
        }
        Assert.Equal(6 + 3 * budget, Op.Count("jwks")); // one budget per instance
        output.WriteLine($"islands: 3 loads, 3 fetches per rotation, {3 * budget} fetches for 45 forged kids");
    }
}
