using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Providers;

public sealed class RefreshPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly RefreshPolicy _policy = new(new OidcKeyPolicyOptions());

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 30)] // 32 s capped at the 30 s kid-miss window
    public void A_provider_that_never_loaded_retries_after_1_s_doubling_up_to_the_window(int failures, int seconds) =>
        Assert.Equal(T0.AddSeconds(seconds), _policy.InitialRetryAt(T0, failures));

    [Fact]
    public void Admin_refreshes_wait_the_minimum_interval() =>
        Assert.Equal(T0.AddSeconds(5), _policy.AdminAllowedAt(T0));

    [Theory]
    [InlineData(0.0, 600)]
    [InlineData(1.0, 540)]
    [InlineData(0.5, 570)]
    public void Scheduled_refreshes_come_up_to_10_percent_early(double jitter, int seconds) =>
        Assert.Equal(T0.AddSeconds(seconds), _policy.NextScheduled(T0, jitter));

    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(5, 480)]
    [InlineData(9, 600)]
    public void Failed_scheduled_refreshes_back_off_from_30_s_up_to_the_interval(int failures, int seconds) =>
        Assert.Equal(T0.AddSeconds(seconds), _policy.NextScheduledAfterFailure(T0, failures));

    [Fact]
    public void Each_path_gets_its_own_budget()
    {
        var policy = new RefreshPolicy(new OidcKeyPolicyOptions { KidMissBudget = 2, BearerKidMissBudget = 1 });
        var idTokens = policy.NewLedger(KidMissPath.IdToken);
        var bearer = policy.NewLedger(KidMissPath.Bearer);

        Assert.True(idTokens.TryDraw(T0, out _) && idTokens.TryDraw(T0, out _));
        Assert.False(idTokens.TryDraw(T0, out _));
        Assert.True(bearer.TryDraw(T0, out _));
        Assert.False(bearer.TryDraw(T0, out _));
    }
}
