namespace OidcRp.Providers;

/// <summary>Where a token with an unknown kid came from: each path spends its own budget and remembers its own kids.</summary>
internal enum KidMissPath
{
    /// <summary>An ID token from the provider's token endpoint (the back channel of the code flow).</summary>
    IdToken,

    /// <summary>A bearer token on an API: anyone can send one.</summary>
    Bearer,
}

/// <summary>
/// The kid-miss rule's memory for one provider and one path, guarded by the provider's gate:
/// <list type="bullet">
/// <item>a budget of kid-miss fetches: at most <c>budget</c> in any window of <c>window</c> (a sliding log of
/// draw times, so no window, however placed, holds more); a fetch that brought the kid its token named and
/// verified it gives its draw back, so genuine rotations never spend what forged kids are bounded by;</item>
/// <item>the kids a fetch looked up and did not find, each remembered for one window (bounded: the oldest is
/// forgotten first), so the same unknown kid never costs a second fetch within the window.</item>
/// </list>
/// </summary>
internal sealed class KidMissLedger(int budget, TimeSpan window, int maxRemembered)
{
    private readonly Queue<DateTimeOffset> _draws = new(budget);
    private readonly Dictionary<string, DateTimeOffset> _missing = new(StringComparer.Ordinal);
    private readonly Queue<(string Kid, DateTimeOffset At)> _missingOrder = new();

    /// <summary>Kids remembered as missing (for tests and the status view).</summary>
    public int RememberedCount => _missing.Count;

    /// <summary>Draws currently counted in the window ending at <paramref name="now"/>.</summary>
    public int Spent(DateTimeOffset now)
    {
        Expire(now);
        return _draws.Count;
    }

    /// <summary>Takes one fetch from the budget, or returns false when the window's budget is spent.</summary>
    public bool TryDraw(DateTimeOffset now, out DateTimeOffset ticket)
    {
        Expire(now);
        if (_draws.Count >= budget)
        {
            ticket = default;
            return false;
        }
        _draws.Enqueue(now);
        ticket = now;
        return true;
    }

    /// <summary>Gives a draw back: its fetch proved a genuine rotation.</summary>
    public void Refund(DateTimeOffset ticket)
    {
        // Draws are in time order and few (the budget): rebuild without the first one made at this instant.
        var removed = false;
        var count = _draws.Count;
        for (var i = 0; i < count; i++)
        {
            var draw = _draws.Dequeue();
            if (!removed && draw == ticket)
            {
                removed = true;
                continue;
            }
            _draws.Enqueue(draw);
        }
    }

    /// <summary>True when a fetch looked <paramref name="kid"/> up within the window and did not find it.</summary>
    public bool RecentlyMissing(string kid, DateTimeOffset now)
    {
        Expire(now);
        return _missing.ContainsKey(kid);
    }

    /// <summary>Remembers that a fetch started after the token arrived did not bring <paramref name="kid"/>.</summary>
    public void RememberMissing(string kid, DateTimeOffset now)
    {
        Expire(now);
        if (_missing.ContainsKey(kid))
        {
            return;
        }
        while (_missing.Count >= maxRemembered && _missingOrder.TryDequeue(out var oldest))
        {
            _missing.Remove(oldest.Kid);
        }
        _missing[kid] = now;
        _missingOrder.Enqueue((kid, now));
    }

    private void Expire(DateTimeOffset now)
    {
        var horizon = now - window;
        while (_draws.TryPeek(out var oldest) && oldest <= horizon)
        {
            _draws.Dequeue();
        }
        while (_missingOrder.TryPeek(out var entry) && entry.At <= horizon)
        {
            _missingOrder.Dequeue();
            _missing.Remove(entry.Kid);
        }
    }
}
