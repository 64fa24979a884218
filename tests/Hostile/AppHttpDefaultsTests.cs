using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// An app that adds a resilience handler to every <see cref="HttpClient"/>, as .NET Aspire's service defaults
/// do: its own clients retry, OidcRp's requests do not change. Counted at the OP.
/// </summary>
public sealed class AppHttpDefaultsTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha")], services: s =>
        {
            // Aspire's ServiceDefaults line. The app runs on a FakeTimeProvider, which Polly takes from the
            // container: a zero retry delay lets the retries run without advancing the clock.
            s.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler(o => o.Retry.Delay = TimeSpan.Zero));
            s.AddHttpClient("control");
        });
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task The_apps_own_client_retries_a_503()
    {
        var control = _rp.Services.GetRequiredService<IHttpClientFactory>().CreateClient("control");

        using var response = await control.GetAsync(_op.StatusUrl(503));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(_op.Count("status") > 1, $"the control client sent {_op.Count("status")} request(s)");
    }

    [Fact]
    public async Task A_jwks_answering_503_is_fetched_once_and_audited_with_its_status()
    {
        using var browser = _rp.Browser();
        using (var first = await browser.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var jwksBefore = _op.Count("jwks");
        _op.Rotate("op-key-2", TestOpRotation.DropOld);
        _op.FailNext("jwks", 503, times: 10);
        _rp.Audit.Clear();

        using var failed = await browser.LoginAsync("alpha");

        Assert.Equal(1, _op.Count("jwks") - jwksBefore);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.JwksUnreachable, "jwks_http_503"), (row.Category, row.Reason));
        Assert.Equal("jwks_http_503", _rp.Services.GetRequiredService<IOidcProviders>().GetStatus("alpha")!.LastErrorCode);
    }

    [Fact]
    public async Task A_token_endpoint_answering_500_gets_the_code_once()
    {
        using var browser = _rp.Browser();
        _op.FailNext("token", 500);

        using var failed = await browser.LoginAsync("alpha");

        Assert.Equal(1, _op.Count("token"));
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "code_exchange_failed"), (row.Category, row.Reason));
    }
}

/// <summary>
/// An app's own handler under OidcRp (the <see cref="OidcRpOptions.HttpHandlerFactory"/> hook) that throws what
/// a resilience pipeline throws: the login gets the jwks_unreachable page, the failure its bookkeeping.
/// </summary>
public sealed class AppHttpHandlerTests : IAsyncLifetime
{
    private readonly CircuitHandler _handler = new();
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha")], o => o.HttpHandlerFactory = _ => _handler);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task A_broken_circuit_on_the_jwks_is_a_classified_failure_bounded_by_the_budget_not_a_500()
    {
        using var browser = _rp.Browser();
        using (var first = await browser.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode); // the hook's handler carries the real requests
        }
        var jwksBefore = _op.Count("jwks");
        _op.Rotate("op-key-2", TestOpRotation.DropOld);
        _handler.Open = true;
        _rp.Audit.Clear();

        using var failed = await browser.LoginAsync("alpha");
        for (var i = 0; i < 3; i++)
        {
            using var again = await browser.LoginAsync("alpha");
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        // A failed fetch proves nothing about the kid, so the next logins try again, until the budget (3) is spent.
        Assert.Equal(3, _handler.Thrown);
        Assert.Equal(0, _op.Count("jwks") - jwksBefore);
        Assert.Equal(
            [(OidcAuditCategories.JwksUnreachable, "jwks_other"), (OidcAuditCategories.JwksUnreachable, "jwks_other"),
                (OidcAuditCategories.JwksUnreachable, "jwks_other"), (OidcAuditCategories.KidMismatchThrottled, "kid_miss_budget_spent")],
            _rp.Audit.Rows.Select(r => (r.Category, r.Reason)));
        var status = _rp.Services.GetRequiredService<IOidcProviders>().GetStatus("alpha")!;
        Assert.Equal("jwks_other", status.LastErrorCode);
        Assert.Equal(_rp.Time.GetUtcNow(), status.LastErrorAt);
        Assert.Equal(_rp.Time.GetUtcNow() + TimeSpan.FromSeconds(120), status.NextRefreshAt); // the scheduled failure backoff, 30 s doubled twice
        Assert.Equal(3, status.FailedRefreshes);
    }

    private sealed class CircuitHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _thrown;

        public volatile bool Open;

        public int Thrown => Volatile.Read(ref _thrown);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Open && request.RequestUri!.AbsolutePath == "/jwks")
            {
                Interlocked.Increment(ref _thrown);
                throw new Polly.CircuitBreaker.BrokenCircuitException();
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
