using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace OidcRp.Audit.Sql;

/// <summary>
/// Audit rows kept on local disk while the database cannot take them: JSON lines in numbered segment files
/// (<c>{SpillPath}.{number}</c>), read oldest first, each deleted as soon as every row in it is stored, so the
/// disk holds only rows not yet stored and <c>maxBytes</c> caps exactly those. A file at <c>SpillPath</c> itself
/// (the single spill file of earlier versions) is read first. Reads stream one batch at a time; nothing reads a
/// whole segment or the whole spill. Not thread-safe: the store serialises every call with its own lock, on its
/// background tasks (never on a request thread). Each append is flushed to the operating system, so a killed
/// process loses none of the rows it holds; a row cut short by a kill is cut off at the next start.
/// </summary>
internal sealed class AuditSpillSegments
{
    /// <summary>The number of the first segment: prepends (rows older than every spilled one) count down from it.</summary>
    internal const long FirstNumber = 1_000_000_000;

    private readonly string _basePath;
    private readonly long _maxBytes;
    private readonly int _segmentRows;
    private readonly long _segmentBytes;
    private readonly List<Segment> _segments = []; // oldest first
    private long _nextNumber = FirstNumber;

    public AuditSpillSegments(string basePath, long maxBytes, int segmentRows = 1000, long segmentBytes = 1024 * 1024)
    {
        _basePath = System.IO.Path.GetFullPath(basePath);
        _maxBytes = maxBytes;
        _segmentRows = segmentRows;
        _segmentBytes = segmentBytes;
    }

    public string Path => _basePath;

    /// <summary>Bytes of rows not yet stored: what the cap counts.</summary>
    public long UnstoredBytes { get; private set; }

    public bool HasUnstored => _segments.Count > 0;

    public int SegmentCount => _segments.Count;

    /// <summary>Finds the segments an earlier run left, oldest first, and cuts off a torn last row in each.</summary>
    public void Open()
    {
        _segments.Clear();
        UnstoredBytes = 0;
        var directory = System.IO.Path.GetDirectoryName(_basePath)!;
        if (!Directory.Exists(directory))
        {
            return;
        }
        var prefix = System.IO.Path.GetFileName(_basePath) + ".";
        var found = new List<Segment>();
        if (File.Exists(_basePath))
        {
            found.Add(new Segment(_basePath, long.MinValue));
        }
        foreach (var file in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            if (System.IO.Path.GetFileName(file).Length > prefix.Length && long.TryParse(System.IO.Path.GetFileName(file).AsSpan(prefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                found.Add(new Segment(file, number));
            }
        }
        foreach (var segment in found.OrderBy(s => s.Number))
        {
            segment.Length = TrimTornTail(segment.File);
            segment.Rows = _segmentRows; // unknown: never appended to again
            if (segment.Length == 0)
            {
                File.Delete(segment.File);
                continue;
            }
            _segments.Add(segment);
            UnstoredBytes += segment.Length;
            _nextNumber = Math.Max(_nextNumber, segment.Number + 1);
        }
    }

    /// <summary>Appends rows after every spilled one; false when the cap leaves no room (nothing is written).</summary>
    public bool TryAppend(IReadOnlyList<OidcAuditRecord> records)
    {
        var lines = records.Select(Line).ToList();
        if (UnstoredBytes + lines.Sum(l => (long)l.Length) > _maxBytes)
        {
            return false;
        }
        EnsureDirectory();
        var i = 0;
        while (i < lines.Count)
        {
            var segment = _segments.Count > 0 && _segments[^1] is { } last && last.Rows < _segmentRows && last.Length < _segmentBytes && last.Number != long.MinValue
                ? last
                : AddSegment(_nextNumber++, _segments.Count);
            var text = new List<byte>();
            while (i < lines.Count && segment.Rows < _segmentRows && segment.Length + text.Count < _segmentBytes)
            {
                text.AddRange(lines[i++]);
                segment.Rows++;
            }
            Write(segment, text);
        }
        return true;
    }

    /// <summary>Puts rows in front of every spilled one (at shutdown, for rows older than those), as a new segment.</summary>
    public bool TryPrepend(IReadOnlyList<OidcAuditRecord> records)
    {
        if (records.Count == 0)
        {
            return true;
        }
        var lines = records.Select(Line).ToList();
        if (UnstoredBytes + lines.Sum(l => (long)l.Length) > _maxBytes)
        {
            return false;
        }
        EnsureDirectory();
        // The single file of an earlier version, when still there, holds older rows still: the new segment goes after it.
        var front = _segments.Count > 0 && _segments[0].Number == long.MinValue ? 1 : 0;
        var number = _segments.Count > front ? Math.Min(_segments[front].Number, FirstNumber) - 1 : _nextNumber++;
        var segment = AddSegment(number, front);
        segment.Rows = _segmentRows; // closed: later rows go after the others
        Write(segment, lines.SelectMany(l => l).ToList());
        return true;
    }

    /// <summary>Reads up to <paramref name="max"/> rows of the oldest segment after those already stored, without consuming them.</summary>
    public (List<OidcAuditRecord> Rows, SpillCursor Cursor) Peek(int max)
    {
        var rows = new List<OidcAuditRecord>();
        while (_segments.Count > 0)
        {
            var segment = _segments[0];
            if (!File.Exists(segment.File))
            {
                Drop(segment); // removed from outside
                continue;
            }
            using var stream = new FileStream(segment.File, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 64 * 1024 });
            stream.Seek(segment.Stored, SeekOrigin.Begin);
            var offset = segment.Stored;
            var line = new List<byte>(512);
            int b;
            while (rows.Count < max && (b = stream.ReadByte()) >= 0)
            {
                if (b != '\n')
                {
                    line.Add((byte)b);
                    continue;
                }
                offset += line.Count + 1;
                if (line.Count > 0 && TryParse(line) is { } record)
                {
                    rows.Add(record);
                }
                line.Clear();
            }
            if (rows.Count > 0 || offset > segment.Stored)
            {
                return (rows, new SpillCursor(segment.Number, offset));
            }
            if (segment.Length > segment.Stored)
            {
                return (rows, new SpillCursor(segment.Number, segment.Stored)); // a row still being written: nothing yet
            }
            Drop(segment); // fully stored, nothing left to read
        }
        return (rows, new SpillCursor(long.MinValue, 0));
    }

    /// <summary>The rows up to <paramref name="cursor"/> are stored: the cap frees their bytes; a segment fully stored is deleted.</summary>
    public void Advance(SpillCursor cursor)
    {
        if (_segments.Count == 0 || _segments[0].Number != cursor.Number)
        {
            return; // the segment went away meanwhile
        }
        var segment = _segments[0];
        UnstoredBytes -= cursor.Offset - segment.Stored;
        segment.Stored = cursor.Offset;
        if (segment.Stored >= segment.Length)
        {
            Drop(segment);
        }
    }

    private void Drop(Segment segment)
    {
        _segments.Remove(segment);
        UnstoredBytes -= Math.Max(0, segment.Length - segment.Stored);
        File.Delete(segment.File);
    }

    private Segment AddSegment(long number, int index)
    {
        var segment = new Segment(_basePath + "." + number.ToString("D12", CultureInfo.InvariantCulture), number);
        _segments.Insert(index, segment);
        return segment;
    }

    private void Write(Segment segment, List<byte> bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // audit rows are personal data
        }
        using (var stream = new FileStream(segment.File, options))
        {
            stream.Write(CollectionsMarshal.AsSpan(bytes));
            stream.Flush(flushToDisk: false);
        }
        segment.Length += bytes.Count;
        UnstoredBytes += bytes.Count;
    }

    private void EnsureDirectory()
    {
        var directory = System.IO.Path.GetDirectoryName(_basePath)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>A partial last line (a write cut short) is cut off; returns the length left.</summary>
    private static long TrimTornTail(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var length = stream.Length;
        var end = length;
        while (end > 0)
        {
            stream.Seek(end - 1, SeekOrigin.Begin);
            if (stream.ReadByte() == '\n')
            {
                break;
            }
            end--;
        }
        if (end < length)
        {
            stream.SetLength(end);
        }
        return end;
    }

    private static byte[] Line(OidcAuditRecord record) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, AuditJson.Options) + "\n");

    private static OidcAuditRecord? TryParse(List<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize<OidcAuditRecord>(CollectionsMarshal.AsSpan(line), AuditJson.Options);
        }
        catch (JsonException)
        {
            return null; // a line torn by a killed process: skipped
        }
    }

    private sealed class Segment(string file, long number)
    {
        public string File { get; } = file;

        public long Number { get; } = number;

        public long Length { get; set; }

        /// <summary>Bytes at the front whose rows are stored in the database.</summary>
        public long Stored { get; set; }

        public int Rows { get; set; }
    }
}

/// <summary>Where a batch read from the spill ends: the segment and the offset after its last row.</summary>
internal readonly record struct SpillCursor(long Number, long Offset);

internal static class AuditJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
