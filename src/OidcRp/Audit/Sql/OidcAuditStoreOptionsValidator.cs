using Microsoft.Extensions.Options;

namespace OidcRp.Audit.Sql;

/// <summary>Checks <see cref="OidcAuditStoreOptions"/> at start-up and reports every problem at once, the spill directory's safety included.</summary>
internal sealed class OidcAuditStoreOptionsValidator : IValidateOptions<OidcAuditStoreOptions>
{
    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public ValidateOptionsResult Validate(string? name, OidcAuditStoreOptions options)
    {
        var errors = new List<string>();
        if (options.BufferCapacity < 1) errors.Add("OidcAuditStore: BufferCapacity must be at least 1.");
        if (options.BatchSize is < 1 or > 1000) errors.Add("OidcAuditStore: BatchSize must be between 1 and 1000.");
        if (options.MaxSpillBytes < 1) errors.Add("OidcAuditStore: MaxSpillBytes must be positive.");
        if (options.MaxRetryDelay <= TimeSpan.Zero) errors.Add("OidcAuditStore: MaxRetryDelay must be positive.");
        if (options.ShutdownTimeout <= TimeSpan.Zero) errors.Add("OidcAuditStore: ShutdownTimeout must be positive.");
        if (options.MaxAge is { } age && age <= TimeSpan.Zero) errors.Add("OidcAuditStore: MaxAge must be positive when set.");
        if (options.PruneInterval <= TimeSpan.Zero) errors.Add("OidcAuditStore: PruneInterval must be positive.");
        if (options.PruneBatchSize < 1) errors.Add("OidcAuditStore: PruneBatchSize must be at least 1.");
        if (options.SpillPath is { Length: > 0 } path && !ReferenceEquals(path, OidcAuditStoreOptions.DefaultSpillPath))
        {
            CheckSpillPath(errors, path);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Audit rows are personal data, and a spill directory others can write to lets them plant rows that the
    /// store later writes to the database as genuine; a symbolic link can point the spill anywhere.
    /// </summary>
    private static void CheckSpillPath(List<string> errors, string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            errors.Add($"OidcAuditStore: SpillPath '{path}' is not a valid path.");
            return;
        }
        var directory = new DirectoryInfo(Path.GetDirectoryName(full)!);
        if (directory.Exists)
        {
            if (directory.LinkTarget is not null)
            {
                errors.Add($"OidcAuditStore: the spill directory '{directory.FullName}' is a symbolic link; use a real, private directory.");
            }
            else if (!OperatingSystem.IsWindows() && (directory.UnixFileMode & NotOwner) != 0)
            {
                errors.Add($"OidcAuditStore: the spill directory '{directory.FullName}' is not private (mode {Convert.ToString((int)directory.UnixFileMode, 8)}); " +
                    "allow the owner only (chmod 700), or point SpillPath into a directory that does not exist yet (it is created owner-only).");
            }
            var prefix = Path.GetFileName(full);
            foreach (var file in directory.EnumerateFiles(prefix + "*"))
            {
                if (file.LinkTarget is not null)
                {
                    errors.Add($"OidcAuditStore: the spill file '{file.FullName}' is a symbolic link.");
                }
            }
        }
    }
}
