using System.Collections.Concurrent;
using OidcRp.Audit;

namespace OidcRp.Tests.Support;

/// <summary>Keeps every audit row written, in order.</summary>
public sealed class RecordingAuditSink : IOidcAuditSink
{
    private readonly ConcurrentQueue<OidcAuditRecord> _rows = new();

    public IReadOnlyList<OidcAuditRecord> Rows => _rows.ToArray();

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
