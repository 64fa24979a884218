using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Providers;

public sealed class KidMissLedgerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_budget_is_a_sliding_window_no_placement_of_which_holds_more_than_the_budget()
    {
        var ledger = new KidMissLedger(budget: 2, window: TimeSpan.FromSeconds(30), maxRemembered: 8);

        Assert.True(ledger.TryDraw(T0, out _));
        Assert.True(ledger.TryDraw(T0.AddSeconds(20), out _));
        Assert.False(ledger.TryDraw(T0.AddSeconds(29), out _));
        Assert.True(ledger.TryDraw(T0.AddSeconds(30), out _)); // the draw at 0 left the window
        Assert.False(ledger.TryDraw(T0.AddSeconds(49), out _)); // 20 s and 30 s are both inside
        Assert.Equal(2, ledger.Spent(T0.AddSeconds(49)));
        Assert.Equal(1, ledger.Spent(T0.AddSeconds(50)));
    }

    [Fact]
    public void A_refund_gives_back_exactly_one_draw()
    {
        var ledger = new KidMissLedger(budget: 2, window: TimeSpan.FromSeconds(30), maxRemembered: 8);
        ledger.TryDraw(T0, out var first);
        ledger.TryDraw(T0, out _);

        ledger.Refund(first);

        Assert.Equal(1, ledger.Spent(T0));
        Assert.True(ledger.TryDraw(T0, out _));
        Assert.False(ledger.TryDraw(T0, out _));
    }

    [Fact]
    public void Missing_kids_are_remembered_for_one_window_and_the_oldest_is_forgotten_first()
    {
        var ledger = new KidMissLedger(budget: 1, window: TimeSpan.FromSeconds(30), maxRemembered: 2);
        ledger.RememberMissing("a", T0);
        ledger.RememberMissing("b", T0.AddSeconds(1));
        ledger.RememberMissing("a", T0.AddSeconds(2)); // already remembered: keeps its first time
        ledger.RememberMissing("c", T0.AddSeconds(3)); // over the bound: a goes

        Assert.False(ledger.RecentlyMissing("a", T0.AddSeconds(3)));
        Assert.True(ledger.RecentlyMissing("b", T0.AddSeconds(30)));
        Assert.False(ledger.RecentlyMissing("b", T0.AddSeconds(31)));
        Assert.True(ledger.RecentlyMissing("c", T0.AddSeconds(32)));
        Assert.Equal(1, ledger.RememberedCount);
    }
}
