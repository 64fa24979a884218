using Microsoft.Extensions.Time.Testing;
using OidcRp.Callback;

namespace OidcRp.Tests.Unit.Callback;

public sealed class CallbackReplayGuardTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_state_is_consumed_once_per_provider()
    {
        var guard = new CallbackReplayGuard(_time);
        var state = CallbackReplayGuard.Hash("state-1");

        Assert.True(guard.TryConsume("alpha", state));
        Assert.False(guard.TryConsume("alpha", state));
        Assert.True(guard.TryConsume("beta", state));
        Assert.True(guard.TryConsume("alpha", CallbackReplayGuard.Hash("state-2")));
        Assert.Equal(3, guard.Count);
    }

    [Fact]
    public void A_state_is_remembered_for_the_lifetime_and_then_forgotten()
    {
        var guard = new CallbackReplayGuard(_time);
        var state = CallbackReplayGuard.Hash("state-1");
        Assert.True(guard.TryConsume("alpha", state));

        _time.Advance(CallbackReplayGuard.Lifetime - TimeSpan.FromSeconds(1));
        Assert.False(guard.TryConsume("alpha", state));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(guard.TryConsume("alpha", state)); // the correlation cookie is gone by now; the handler judges it
        Assert.Equal(1, guard.Count);
    }

    [Fact]
    public void Expired_flows_leave_as_new_ones_arrive_without_waiting_for_the_bound()
    {
        var guard = new CallbackReplayGuard(_time) { Capacity = 1_000 };
        for (var i = 0; i < 100; i++)
        {
            Assert.True(guard.TryConsume("alpha", (UInt128)i));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(15, guard.Count); // one flow a minute, each kept 15 minutes
        Assert.Equal(0, guard.Evictions);
    }

    [Fact]
    public void At_the_bound_the_oldest_flow_is_forgotten_first_and_counted()
    {
        var guard = new CallbackReplayGuard(_time) { Capacity = 3 };
        for (var i = 0; i < 5; i++)
        {
            Assert.True(guard.TryConsume("alpha", (UInt128)i));
        }

        Assert.Equal(3, guard.Count);
        Assert.Equal(2, guard.Evictions);
        Assert.True(guard.TryConsume("alpha", 0)); // evicted early: would reach the OP, whose single-use codes refuse it
        Assert.False(guard.TryConsume("alpha", 4)); // the newest are still guarded
        Assert.False(guard.TryConsume("alpha", 3));
    }

    [Fact]
    public void The_hash_depends_on_every_character_of_the_state()
    {
        Assert.NotEqual(CallbackReplayGuard.Hash("CfDJ8abc"), CallbackReplayGuard.Hash("CfDJ8abd"));
        Assert.Equal(CallbackReplayGuard.Hash("CfDJ8abc"), CallbackReplayGuard.Hash("CfDJ8abc"));
    }
}
