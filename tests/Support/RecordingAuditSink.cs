using System.Collections.Concurrent;
using OidcRp.Audit;

namespace OidcRp.Tests.Support;

/// <summary>
/// Keeps every audit row written, in order. <see cref="Rows"/> leaves out the <c>keys_fetched</c> rows (one per fetch of a
/// provider's keys, written from the shared fetch), so a test of a login's rows reads the login's rows;
/// <see cref="FetchRows"/> holds those, <see cref="AllRows"/> both.
/// </summary>
public sealed class RecordingAuditSink : IOidcAuditSink
{
    private readonly ConcurrentQueue<OidcAuditRecord> _rows = new();

    public IReadOnlyList<OidcAuditRecord> Rows => _rows.Where(r => r.Category != OidcAuditCategories.KeysFetched).ToArray();

    /// <summary>The <c>keys_fetched</c> rows only, in order.</summary>
    public IReadOnlyList<OidcAuditRecord> FetchRows => _rows.Where(r => r.Category == OidcAuditCategories.KeysFetched).ToArray();

    /// <summary>Every row, in order.</summary>
    public IReadOnlyList<OidcAuditRecord> AllRows => _rows.ToArray();

    public bool Fail { get; set; }

    /// <summary>Forgets the rows so far (set-up steps of a test).</summary>
    public void Clear() => _rows.Clear();

    public ValueTask WriteAsync(OidcAuditRecord record, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new InvalidOperationException("audit store down");
        }
        _rows.Enqueue(record);
        return ValueTask.CompletedTask;
    }
}
