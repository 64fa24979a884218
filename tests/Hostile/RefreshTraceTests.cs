using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using OidcRp.Diagnostics;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The spans of a rotation met by an API call: the recovery's span, and the fetch it starts as the root of a trace of
/// its own (a shared fetch never runs in one caller's context) that links back to the recovery.
/// </summary>
public sealed class RefreshTraceTests : IAsyncLifetime
{
    // The activity listener is process-wide and other tests run beside this one: a provider id of its own tells ours apart.
    private readonly string _provider = "trace-" + Guid.NewGuid().ToString("N")[..12];
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As(_provider)], bearer: o => o.Audiences.Add("api"));
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task The_fetch_a_kid_miss_starts_is_a_trace_of_its_own_linked_to_the_recovery()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OidcRpDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(_op.CreateAccessToken())); // the first load
        _op.Rotate("op-key-2", TestOpRotation.KeepOld);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(_op.CreateAccessToken())); // a new kid: recovered

        var ours = stopped.Where(a => a.GetTagItem("oidcrp.provider") as string == _provider).ToList();
        var recovery = Assert.Single(ours, a => a.OperationName == OidcRpActivity.RecoverKidMiss);
        Assert.Equal("bearer", recovery.GetTagItem("oidcrp.path"));
        var fetch = Assert.Single(ours, a => a.OperationName == OidcRpActivity.RefreshKeys && a.GetTagItem("oidcrp.trigger") as string == "KidMiss");
        Assert.Equal(default, fetch.ParentSpanId); // a root: the fetch serves every caller that joins it
        Assert.NotEqual(recovery.TraceId, fetch.TraceId);
        Assert.Equal(recovery.Context, Assert.Single(fetch.Links).Context);
        Assert.Equal(2, _op.Count("jwks"));
    }

    private async Task<HttpStatusCode> StatusAsync(string token)
    {
        using var client = _rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
