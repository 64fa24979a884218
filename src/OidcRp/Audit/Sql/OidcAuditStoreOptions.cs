namespace OidcRp.Audit.Sql;

/// <summary>How the SQL audit store buffers, spills, retries and prunes.</summary>
public sealed class OidcAuditStoreOptions
{
    /// <summary>
    /// Rows held in memory for the background writer (default 10,000). When full, rows go to the spill
    /// through a second in-memory queue of the same size, written to disk by a background task; a request
    /// finding that queue full too waits for room, so memory stays bounded and no request writes to disk.
    /// </summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Rows written per transaction (default 200).</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Where rows are kept on local disk while the database is unreachable and the buffer is full, and the
    /// rows still unwritten at shutdown; written to the database, in order, when it is back. Rows go to
    /// numbered segment files beside this path (<c>{SpillPath}.{number}</c>), each deleted once its rows are
    /// stored. Null turns spilling off (rows beyond the buffer are then dropped and counted as failed). Default:
    /// <c>{LocalApplicationData}/oidcrp/{ApplicationName}/audit-spill.jsonl</c>. The directory must be private
    /// (no group or other permission bits on Unix) and not a symbolic link: start-up fails otherwise; when
    /// missing it is created owner-only. One spill path serves one running instance: give instances sharing a
    /// host their own.
    /// </summary>
    public string? SpillPath { get; set; } = DefaultSpillPath;

    /// <summary>Marks "not set": the registration replaces it with the per-application default.</summary>
    internal static readonly string DefaultSpillPath = new("(default)".AsSpan());

    /// <summary>The default spill file: per application, in the user's private data directory, never a shared temp directory.</summary>
    internal static string DefaultSpillFile(string? application)
    {
        var name = new string((application ?? "app").Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(64).ToArray());
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        return Path.Combine(root.Length > 0 ? root : AppContext.BaseDirectory, "oidcrp", name, "audit-spill.jsonl");
    }

    /// <summary>
    /// The cap on spilled rows not yet stored in the database (default 256 MiB); rows beyond it are dropped and
    /// counted as failed. Rows already stored do not count: their segments are deleted.
    /// </summary>
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
