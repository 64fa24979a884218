namespace OidcRp.Audit;

/// <summary>
/// Folds flood-shaped rows (<see cref="AuditFloodRules"/>) into one row per key and window, where the key is
/// (provider, category, reason, outcome, source). The first event of a key opens a window and is written at once
/// (count 1), so an alert fires without waiting; the events after it in the window are counted into one row,
/// written when the window closes (<see cref="TakeDue"/>), when the bound on open windows closes it early, or at
/// host stop (<see cref="TakeAll"/>). Nothing is counted away: the counts of the rows written always add up to the
/// events offered. Memory is bounded by <c>maxOpen</c> windows, each holding one sample row.
/// Thread-safe; does no I/O: the caller writes the rows it is handed.
/// </summary>
internal sealed class AuditAggregator(TimeSpan window, int maxOpen)
{
    private readonly Dictionary<Key, LinkedListNode<Window>> _open = [];
    private readonly LinkedList<Window> _byAge = new(); // oldest window first: windows open in time order
    private readonly Lock _gate = new();
    private bool _closed;

    public int OpenWindows
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Adds to <paramref name="write"/> the rows to write now: none (counted), the row itself, and perhaps a window closed to make room.</summary>
    public void Offer(OidcAuditRecord record, string source, List<OidcAuditRecord> write)
    {
        if (window <= TimeSpan.Zero || !AuditFloodRules.IsFloodShaped(record.Category, record.Outcome, record.Reason))
        {
            write.Add(record);
            return;
        }
        var key = new Key(record.ProviderId, record.Category, record.Reason, record.Outcome, source, record.Path);
        lock (_gate)
        {
            if (_closed)
            {
                write.Add(record); // after host stop: every row on its own, nothing held
                return;
            }
            if (_open.TryGetValue(key, out var node))
            {
                if (record.Timestamp < node.Value.OpenedAt + window && node.Value.Count < int.MaxValue)
                {
                    node.Value.Sample ??= record;
                    node.Value.Count++;
                    return;
                }
                Emit(node, write); // its window is over: the timer has not come round yet
            }
            else if (_open.Count >= maxOpen)
            {
                Emit(_byAge.First!, write); // the bound: the oldest window closes early, with its count so far
            }
            _open[key] = _byAge.AddLast(new Window(key, record.Timestamp));
            write.Add(record);
        }
    }

    /// <summary>Adds the rows of every window that has closed by <paramref name="now"/>.</summary>
    public void TakeDue(DateTimeOffset now, List<OidcAuditRecord> write)
    {
        lock (_gate)
        {
            while (_byAge.First is { } oldest && oldest.Value.OpenedAt + window <= now)
            {
                Emit(oldest, write);
            }
        }
    }

    /// <summary>Adds the rows of every open window now; with <paramref name="close"/> (host stop), aggregates nothing from then on.</summary>
    public void TakeAll(List<OidcAuditRecord> write, bool close)
    {
        lock (_gate)
        {
            _closed |= close;
            while (_byAge.First is { } oldest)
            {
                Emit(oldest, write);
            }
        }
    }

    private void Emit(LinkedListNode<Window> node, List<OidcAuditRecord> write)
    {
        _byAge.Remove(node);
        _open.Remove(node.Value.Key);
        if (node.Value.Sample is { } sample)
        {
            // The source stands for every address the row counts (an IPv6 /64 groups many).
            write.Add(sample with { Count = node.Value.Count, ClientIp = node.Value.Key.Source });
        }
    }

    private readonly record struct Key(string ProviderId, string Category, string? Reason, string Outcome, string Source, string? Path);

    private sealed class Window(Key key, DateTimeOffset openedAt)
    {
        public Key Key { get; } = key;

        public DateTimeOffset OpenedAt { get; } = openedAt;

        /// <summary>The first event after the one that opened the window: the aggregate row's fields.</summary>
        public OidcAuditRecord? Sample { get; set; }

        public int Count { get; set; }
    }
}
