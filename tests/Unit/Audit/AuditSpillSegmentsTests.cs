using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Audit.Sql;

namespace OidcRp.Tests.Unit.Auditing;

public sealed class AuditSpillSegmentsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("oidcrp-spill-").FullName; // created owner-only
    private readonly DateTimeOffset _start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private string BasePath => Path.Combine(_directory, "audit-spill.jsonl");

    private List<OidcAuditRecord> Rows(int from, int count) => Enumerable.Range(from, count).Select(i => new OidcAuditRecord
    {
        Id = Guid.CreateVersion7(_start.AddMilliseconds(i)),
        Timestamp = _start.AddMilliseconds(i),
        ProviderId = "alpha",
        Category = OidcAuditCategories.LoginSucceeded,
        Outcome = OidcAuditOutcomes.Success,
        Subject = $"user-{i}",
    }).ToList();

    private string[] Files() => Directory.GetFiles(_directory, "audit-spill.jsonl*");

    private static List<OidcAuditRecord> DrainAll(AuditSpillSegments spill, int batch, Action? afterEach = null)
    {
        var all = new List<OidcAuditRecord>();
        while (spill.HasUnstored)
        {
            var (rows, cursor) = spill.Peek(batch);
            all.AddRange(rows);
            spill.Advance(cursor);
            afterEach?.Invoke();
        }
        return all;
    }

    [Fact]
    public void Rows_are_written_in_segments_read_in_order_and_each_segment_is_deleted_once_stored()
    {
        var spill = new AuditSpillSegments(BasePath, long.MaxValue, segmentRows: 10);
        var rows = Rows(0, 35);
        foreach (var chunk in rows.Chunk(7))
        {
            Assert.True(spill.TryAppend(chunk));
        }
        Assert.Equal(4, Files().Length);
        var counts = new List<int>();

        var read = DrainAll(spill, batch: 4, () => counts.Add(Files().Length));

        Assert.Equal(rows.Select(r => r.Subject), read.Select(r => r.Subject));
        Assert.Equal([4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 0], counts); // a segment goes as soon as its last row is stored
        Assert.Empty(Files());
        Assert.Equal(0, spill.UnstoredBytes);
    }

    [Fact]
    public void The_cap_counts_only_rows_not_yet_stored()
    {
        static long Bytes(IEnumerable<OidcAuditRecord> rows) =>
            rows.Sum(r => JsonSerializer.SerializeToUtf8Bytes(r, new JsonSerializerOptions(JsonSerializerDefaults.Web)).Length + 1L);
        var spill = new AuditSpillSegments(BasePath, maxBytes: Bytes(Rows(0, 20)), segmentRows: 5);
        Assert.True(spill.TryAppend(Rows(0, 20)));
        Assert.False(spill.TryAppend(Rows(0, 1))); // full

        var (stored, cursor) = spill.Peek(5);
        spill.Advance(cursor); // the first segment is in the database now

        Assert.Equal(5, stored.Count);
        Assert.True(spill.TryAppend(Rows(0, 5))); // the same bytes again: room was made by the rows stored
        Assert.False(spill.TryAppend(Rows(0, 1)));
        Assert.Equal(Rows(5, 15).Concat(Rows(0, 5)).Select(r => r.Subject), DrainAll(spill, 50).Select(r => r.Subject));
    }

    [Fact]
    public void Prepended_rows_come_first_without_reading_the_spilled_ones()
    {
        var spill = new AuditSpillSegments(BasePath, long.MaxValue, segmentRows: 10);
        spill.TryAppend(Rows(100, 25));
        var (_, cursor) = spill.Peek(3);
        spill.Advance(cursor); // part of the oldest segment already stored

        Assert.True(spill.TryPrepend(Rows(0, 5)));

        Assert.Equal(Rows(0, 5).Concat(Rows(103, 22)).Select(r => r.Subject), DrainAll(spill, 4).Select(r => r.Subject));
    }

    [Fact]
    public void A_restart_reads_the_segments_left_oldest_first_including_the_old_single_file_and_cuts_a_torn_row()
    {
        var first = new AuditSpillSegments(BasePath, long.MaxValue, segmentRows: 10);
        first.TryAppend(Rows(10, 25));
        first.TryPrepend(Rows(5, 5));
        File.WriteAllLines(BasePath, Rows(0, 5).Select(r => JsonSerializer.Serialize(r, new JsonSerializerOptions(JsonSerializerDefaults.Web))));
        File.AppendAllText(Files().OrderBy(f => f, StringComparer.Ordinal).Last(), "{\"id\":\"torn"); // a kill in the middle of a write

        var second = new AuditSpillSegments(BasePath, long.MaxValue, segmentRows: 10);
        second.Open();
        second.TryAppend(Rows(35, 3));

        Assert.Equal(Rows(0, 38).Select(r => r.Subject), DrainAll(second, 6).Select(r => r.Subject));
        Assert.Empty(Files());
    }

    [Fact]
    public void A_spill_directory_open_to_others_or_a_symbolic_link_is_refused_with_every_error_at_once()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permission bits
        }
        var open = Directory.CreateDirectory(Path.Combine(_directory, "open"));
        File.SetUnixFileMode(open.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var link = Directory.CreateSymbolicLink(Path.Combine(_directory, "link"), _directory);
        var validator = new OidcAuditStoreOptionsValidator();

        var openResult = validator.Validate(null, new OidcAuditStoreOptions { SpillPath = Path.Combine(open.FullName, "spill.jsonl"), BatchSize = 0 });
        var linkResult = validator.Validate(null, new OidcAuditStoreOptions { SpillPath = Path.Combine(link.FullName, "spill.jsonl") });
        var fresh = validator.Validate(null, new OidcAuditStoreOptions { SpillPath = Path.Combine(_directory, "new", "spill.jsonl") });
        var private_ = validator.Validate(null, new OidcAuditStoreOptions { SpillPath = BasePath });

        Assert.Equal(2, openResult.Failures!.Count());
        Assert.Contains(openResult.Failures!, f => f.Contains("not private", StringComparison.Ordinal));
        Assert.Contains(openResult.Failures!, f => f.Contains("BatchSize", StringComparison.Ordinal));
        Assert.Contains(linkResult.Failures!, f => f.Contains("symbolic link", StringComparison.Ordinal));
        Assert.True(fresh.Succeeded);
        Assert.True(private_.Succeeded);
        Assert.Throws<OptionsValidationException>(() => new SqlAuditStore(NSubstitute.Substitute.For<System.Data.Common.DbDataSource>(),
            SqlAuditDialect.Sqlite, Options.Create(new OidcAuditStoreOptions { SpillPath = Path.Combine(open.FullName, "spill.jsonl") }), TimeProvider.System,
            new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider()
                .GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlAuditStore>.Instance));
    }

    [Fact]
    public async Task With_the_database_away_requests_only_enqueue_and_a_shutdown_keeps_every_row_in_order_on_disk()
    {
        var store = new SqlAuditStore(new DownDataSource(), SqlAuditDialect.Sqlite, Options.Create(new OidcAuditStoreOptions
        {
            SpillPath = BasePath,
            BufferCapacity = 10,
            ShutdownTimeout = TimeSpan.FromMilliseconds(200),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        }), TimeProvider.System, new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlAuditStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        var rows = Rows(0, 20);

        var writes = rows.Select(r => store.WriteAsync(r, CancellationToken.None)).ToList();

        // Buffer and spill queue (10 each) hold them all: no request waited, none touched the disk.
        Assert.All(writes, w => Assert.True(w.IsCompletedSuccessfully));
        await store.FlushAndStopAsync(CancellationToken.None); // the writer's batch and the buffer go in front of the spilled rows
        await store.DisposeAsync();

        Assert.Equal((0L, 20L, 0L), (store.Statistics.Written, store.Statistics.Spilled, store.Statistics.Failed));
        var left = new AuditSpillSegments(BasePath, long.MaxValue);
        left.Open();
        Assert.Equal(rows.Select(r => r.Subject), DrainAll(left, 7).Select(r => r.Subject));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A database that is never there.</summary>
    private sealed class DownDataSource : System.Data.Common.DbDataSource
    {
        public override string ConnectionString => "";

        protected override System.Data.Common.DbConnection CreateDbConnection() => throw new InvalidOperationException("database down");
    }
}
