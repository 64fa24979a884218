using System.Text;
using System.Text.Json;

namespace OidcRp.Audit.Sql;

/// <summary>
/// An append-only JSON-lines file of audit rows, read from the front in order. Not thread-safe: the
/// store serialises every call with its own lock. Each append is flushed to the operating system, so
/// a killed process loses none of the rows it holds.
/// </summary>
internal sealed class AuditSpillFile(string path, long maxBytes)
{
    private long _readOffset;

    public string Path => path;

    public bool HasUnread
    {
        get
        {
            ResetIfGone();
            return File.Exists(path) && new FileInfo(path).Length > _readOffset;
        }
    }

    /// <summary>A file removed from outside starts the cursor over.</summary>
    private void ResetIfGone()
    {
        if (!File.Exists(path))
        {
            _readOffset = 0;
        }
    }

    /// <summary>A partial last line (a write cut short) is cut off, so the next row starts on a line of its own.</summary>
    public void TrimTornTail()
    {
        if (!File.Exists(path))
        {
            return;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
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
    }

    /// <summary>Appends rows at the end; false when the size cap leaves no room (the rows are not written).</summary>
    public bool TryAppend(IEnumerable<OidcAuditRecord> records)
    {
        var text = new StringBuilder();
        foreach (var record in records)
        {
            text.Append(JsonSerializer.Serialize(record, AuditJson.Options)).Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var length = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (length + bytes.Length > maxBytes)
        {
            return false;
        }
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        TrimTornTail();
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // audit rows are personal data
        }
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
        stream.Flush(flushToDisk: false);
        return true;
    }

    /// <summary>Reads up to <paramref name="max"/> rows after the last row handed out, without consuming them.</summary>
    public (List<OidcAuditRecord> Rows, long NextOffset) Peek(int max)
    {
        var rows = new List<OidcAuditRecord>();
        ResetIfGone();
        if (!File.Exists(path))
        {
            return (rows, _readOffset);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(_readOffset, SeekOrigin.Begin);
        var offset = _readOffset;
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
        return (rows, offset);
    }

    /// <summary>Marks everything before <paramref name="offset"/> as written; empties the file once all of it is.</summary>
    public void Advance(long offset)
    {
        if (!File.Exists(path))
        {
            _readOffset = 0;
            return;
        }
        _readOffset = offset;
        if (File.Exists(path) && new FileInfo(path).Length <= _readOffset)
        {
            File.Delete(path);
            _readOffset = 0;
        }
    }

    /// <summary>Puts rows in front of the unread part (at shutdown, for rows older than those already spilled).</summary>
    public bool TryPrepend(IReadOnlyList<OidcAuditRecord> records)
    {
        if (records.Count == 0)
        {
            return true;
        }
        var rest = new List<OidcAuditRecord>();
        while (true)
        {
            var (rows, next) = Peek(10_000);
            if (rows.Count == 0)
            {
                break;
            }
            rest.AddRange(rows);
            _readOffset = next;
        }
        var temporary = path + ".tmp";
        var all = new AuditSpillFile(temporary, maxBytes);
        File.Delete(temporary);
        var fits = all.TryAppend(records.Concat(rest));
        if (fits)
        {
            File.Move(temporary, path, overwrite: true);
            _readOffset = 0;
        }
        else
        {
            File.Delete(temporary);
            _readOffset = 0; // the old file stays as it was
        }
        return fits;
    }

    private static OidcAuditRecord? TryParse(List<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize<OidcAuditRecord>(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(line), AuditJson.Options);
        }
        catch (JsonException)
        {
            return null; // a torn last line from a killed process: skipped
        }
    }
}

internal static class AuditJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
