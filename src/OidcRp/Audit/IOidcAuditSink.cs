namespace OidcRp.Audit;

/// <summary>Receives every audit row. A failure here never fails a login; it is logged and counted.</summary>
public interface IOidcAuditSink
{
    /// <summary>Writes one row.</summary>
    /// <param name="record">The row.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask WriteAsync(OidcAuditRecord record, CancellationToken cancellationToken);
}

/// <summary>A sink whose rows can be read back, newest first (used by <c>GET /auth/oidc/audit</c>).</summary>
public interface IOidcAuditReader
{
    /// <summary>Returns rows matching <paramref name="query"/>, newest first.</summary>
    /// <param name="query">Filters and page size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<OidcAuditRecord>> QueryAsync(OidcAuditQuery query, CancellationToken cancellationToken);
}

/// <summary>Filters for reading audit rows. Paging is by keyset: pass the last row's id as <see cref="Before"/>.</summary>
public sealed record OidcAuditQuery
{
    /// <summary>The largest page size a reader returns.</summary>
    public const int MaxLimit = 500;

    /// <summary>Only rows of this provider.</summary>
    public string? ProviderId { get; init; }

    /// <summary>Only rows of this category.</summary>
    public string? Category { get; init; }

    /// <summary>Only rows of this token path (<see cref="OidcAuditPaths"/>: <c>login</c> or <c>bearer</c>).</summary>
    public string? Path { get; init; }

    /// <summary>Only rows with this outcome.</summary>
    public string? Outcome { get; init; }

    /// <summary>Only rows at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only rows before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only rows older than the row with this id (the previous page's last row).</summary>
    public Guid? Before { get; init; }

    /// <summary>Page size, capped at <see cref="MaxLimit"/>.</summary>
    public int Limit { get; init; } = 50;
}
