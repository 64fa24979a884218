using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>Callbacks prepared in advance (the browser has been to the OP and holds its form_post answer) and fired at once.</summary>
internal static class Herds
{
    public static async Task<List<(BrowserClient Browser, PendingCallback Callback)>> PrepareAsync(string rpBase, int count, int concurrency = 8)
    {
        var pending = new List<(BrowserClient, PendingCallback)>(count);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var browser = new BrowserClient(rpBase);
                var callback = await browser.BeginLoginAsync("p0");
                lock (pending)
                {
                    pending.Add((browser, callback));
                }
            }
        })));
        return pending;
    }

    /// <summary>Like <see cref="PrepareAsync"/> but keeps only each callback and its cookie header, closing every browser at once.</summary>
    public static async Task<List<(PendingCallback Callback, string? Cookie)>> PrepareDetachedAsync(string rpBase, int count, int concurrency = 8)
    {
        var pending = new List<(PendingCallback, string?)>(count);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                using var browser = new BrowserClient(rpBase);
                var callback = await browser.BeginLoginAsync("p0");
                var cookie = browser.Cookies.Header(new Uri(callback.Action));
                lock (pending)
                {
                    pending.Add((callback, cookie));
                }
            }
        })));
        return pending;
    }

    /// <summary>Posts every callback at once; returns each one's latency (ms) and whether it signed in. Disposes the browsers.</summary>
    public static async Task<List<(double Ms, bool SignedIn)>> FireAsync(List<(BrowserClient Browser, PendingCallback Callback)> pending)
    {
        var tasks = pending.Select(p => Task.Run(async () =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using var response = await p.Browser.FinishLoginAsync(p.Callback);
            return (System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, Logins.SignedIn(response));
        })).ToList();
        var results = await Task.WhenAll(tasks);
        foreach (var (browser, _) in pending)
        {
            browser.Dispose();
        }
        return [.. results];
    }
}
