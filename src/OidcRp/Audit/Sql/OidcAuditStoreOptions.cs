namespace OidcRp.Audit.Sql;

/// <summary>How the SQL audit store buffers, spills, retries and prunes.</summary>
public sealed class OidcAuditStoreOptions
{
    /// <summary>Rows held in memory for the background writer (default 10,000). When full, rows go to the spill file.</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Rows written per transaction (default 200).</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// A local file that keeps rows while the database is unreachable and the buffer is full, and the
    /// rows still unwritten at shutdown; written to the database, in order, when it is back. Null turns
    /// spilling off (rows beyond the buffer are then dropped and counted as failed). Default:
    /// <c>{LocalApplicationData}/oidcrp/{ApplicationName}/audit-spill.jsonl</c>, created owner-only. One
    /// spill file serves one running instance: give instances sharing a host their own path.
    /// </summary>
    public string? SpillPath { get; set; } = DefaultSpillPath;

    /// <summary>Marks "not set": the registration replaces it with the per-application default.</summary>
    internal static readonly string DefaultSpillPath = new("(default)".AsSpan());

    /// <summary>The spill file's size cap (default 256 MiB); rows beyond it are dropped and counted as failed.</summary>
    public long MaxSpillBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The longest pause between two attempts to reach an unreachable database (default 5 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a graceful shutdown waits for the buffer to reach the database before spilling it (default 30 s).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rows older than this are deleted in the background; null (the default) keeps every row.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>How often retention runs (default 1 h).</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per retention statement (default 1,000), so pruning never holds long locks.</summary>
    public int PruneBatchSize { get; set; } = 1_000;
}
