using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Unit.Auditing;

public sealed class AuditAggregatorTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private OidcAuditRecord Row(string category = OidcAuditCategories.CallbackRejected, string reason = "state_invalid",
        string outcome = OidcAuditOutcomes.Failure, string provider = "alpha") => new()
    {
        Id = Guid.CreateVersion7(_time.GetUtcNow()),
        Timestamp = _time.GetUtcNow(),
        ProviderId = provider,
        Category = category,
        Outcome = outcome,
        Reason = reason,
        ClientIp = "203.0.113.7",
    };

    [Fact]
    public void A_flood_from_one_source_is_one_row_at_once_and_one_counted_row_when_the_window_closes()
    {
        var aggregator = new AuditAggregator(Window, 100);
        var written = new List<OidcAuditRecord>();

        for (var i = 0; i < 500; i++)
        {
            aggregator.Offer(Row(), "203.0.113.7", written);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.Equal([1], written.Select(r => r.Count)); // the first event, at once
        aggregator.TakeDue(_time.GetUtcNow(), written);
        Assert.Single(written); // 5 s in: the window is still open
        _time.Advance(Window);
        aggregator.TakeDue(_time.GetUtcNow(), written);

        Assert.Equal([1, 499], written.Select(r => r.Count));
        Assert.Equal(500, written.Sum(r => r.Count));
        Assert.Equal(0, aggregator.OpenWindows);
    }

    [Fact]
    public void Rows_that_are_not_flood_shaped_each_keep_a_row_of_their_own()
    {
        var aggregator = new AuditAggregator(Window, 100);
        var written = new List<OidcAuditRecord>();
        (string Category, string Reason, string Outcome)[] genuine =
        [
            (OidcAuditCategories.LoginSucceeded, "", OidcAuditOutcomes.Success),
            (OidcAuditCategories.KidMismatchRecovered, "", OidcAuditOutcomes.Success),
            (OidcAuditCategories.JwksUnreachable, "jwks_http_503", OidcAuditOutcomes.Failure),
            (OidcAuditCategories.CallbackRejected, "code_exchange_failed", OidcAuditOutcomes.Failure),
            (OidcAuditCategories.CallbackRejected, "idp_error:access_denied", OidcAuditOutcomes.Failure),
            (OidcAuditCategories.IdTokenInvalid, "expired", OidcAuditOutcomes.Failure),
            (OidcAuditCategories.AdminRefresh, "refresh", OidcAuditOutcomes.Success),
            (OidcAuditCategories.AdminAccess, "unknown_provider", OidcAuditOutcomes.Failure),
        ];

        foreach (var (category, reason, outcome) in genuine)
        {
            for (var i = 0; i < 3; i++)
            {
                aggregator.Offer(Row(category, reason, outcome), "203.0.113.7", written);
            }
        }

        Assert.Equal(genuine.Length * 3, written.Count);
        Assert.All(written, r => Assert.Equal(1, r.Count));
        Assert.Equal(0, aggregator.OpenWindows);
    }

    [Fact]
    public void Each_source_category_reason_and_provider_is_a_key_of_its_own()
    {
        var aggregator = new AuditAggregator(Window, 100);
        var written = new List<OidcAuditRecord>();
        for (var i = 0; i < 10; i++)
        {
            aggregator.Offer(Row(), "203.0.113.7", written);
            aggregator.Offer(Row(), "203.0.113.8", written);
            aggregator.Offer(Row(reason: "correlation_failed"), "203.0.113.7", written);
            aggregator.Offer(Row(provider: "beta"), "203.0.113.7", written);
            aggregator.Offer(Row(OidcAuditCategories.AdminAccess, "unauthenticated", OidcAuditOutcomes.Denied), "203.0.113.7", written);
        }
        Assert.Equal(5, written.Count);
        aggregator.TakeAll(written, close: true);

        Assert.Equal(10, written.Count);
        Assert.Equal(50, written.Sum(r => r.Count));
        Assert.All(written.Skip(5), r => Assert.Equal(9, r.Count));
    }

    [Fact]
    public void At_the_bound_the_oldest_window_closes_early_and_nothing_is_counted_away()
    {
        var aggregator = new AuditAggregator(Window, maxOpen: 3);
        var written = new List<OidcAuditRecord>();
        var events = 0;
        for (var source = 0; source < 20; source++)
        {
            for (var i = 0; i < 4; i++)
            {
                aggregator.Offer(Row(), $"198.51.100.{source}", written);
                events++;
            }
            Assert.True(aggregator.OpenWindows <= 3);
        }
        aggregator.TakeAll(written, close: true);

        Assert.Equal(events, written.Sum(r => r.Count));
        Assert.Equal(40, written.Count); // each source: its first event and one row of 3
        Assert.Equal(("198.51.100.0", 3), (written[3].ClientIp, written[3].Count)); // the oldest window closed when the fourth source came
    }

    [Fact]
    public void After_close_every_row_is_written_on_its_own()
    {
        var aggregator = new AuditAggregator(Window, 100);
        var written = new List<OidcAuditRecord>();
        aggregator.Offer(Row(), "203.0.113.7", written);
        aggregator.Offer(Row(), "203.0.113.7", written);
        aggregator.TakeAll(written, close: true);
        aggregator.Offer(Row(), "203.0.113.7", written);
        aggregator.Offer(Row(), "203.0.113.7", written);

        Assert.Equal([1, 1, 1, 1], written.Select(r => r.Count));
    }

    [Fact]
    public void An_event_after_its_window_ended_closes_it_and_opens_the_next()
    {
        var aggregator = new AuditAggregator(Window, 100);
        var written = new List<OidcAuditRecord>();
        aggregator.Offer(Row(), "203.0.113.7", written);
        aggregator.Offer(Row(), "203.0.113.7", written);
        aggregator.Offer(Row(), "203.0.113.7", written);
        _time.Advance(Window);
        aggregator.Offer(Row(), "203.0.113.7", written); // before any timer tick

        Assert.Equal([1, 2, 1], written.Select(r => r.Count));
        Assert.Equal(1, aggregator.OpenWindows);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void A_source_is_an_IPv4_address_or_an_IPv6_slash_64(string address, string source) =>
        Assert.Equal(source, AuditFloodRules.Source(IPAddress.Parse(address)));

    [Fact]
    public async Task The_writer_flushes_on_its_timer_and_at_stop_with_counts_that_add_up()
    {
        var sink = new RecordingAuditSink();
        var options = Options.Create(new OidcRpOptions { Audit = { AggregationWindow = Window } });
        var writer = new AuditWriter(sink, _time, new OidcRpMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>()), options, NullLogger<AuditWriter>.Instance);
        var flush = new AuditAggregationFlush(writer, _time);
        await flush.StartAsync(CancellationToken.None);
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("2001:db8::1");

        for (var i = 0; i < 100; i++)
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse($"2001:db8::{i + 1:x}"); // one /64
            await writer.WriteAsync(context, new OidcAuditRecordDraft("alpha", OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Denied) { Reason = "unauthenticated" });
        }
        Assert.Single(sink.Rows);
        _time.Advance(Window + Window / 4); // a timer tick after the window closed
        Assert.Equal([1, 99], sink.Rows.Select(r => r.Count));
        Assert.Equal("2001:db8::/64", sink.Rows[1].ClientIp);

        for (var i = 0; i < 7; i++)
        {
            await writer.WriteAsync(context, new OidcAuditRecordDraft("alpha", OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Denied) { Reason = "unauthenticated" });
        }
        await flush.StopAsync(CancellationToken.None);

        Assert.Equal([1, 99, 1, 6], sink.Rows.Select(r => r.Count));
        Assert.Equal(107, sink.Rows.Sum(r => r.Count));
    }
}
