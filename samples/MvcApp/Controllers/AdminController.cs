using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using OidcRp.Audit;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>The operator's page: providers with their keys, a forced refresh, and the latest audit rows.</summary>
[Authorize(Policy = SampleApp.AdminPolicy)]
public sealed class AdminController(IOidcProviders providers, IOidcAuditSink sink) : Controller
{
    public async Task<IActionResult> Index(string? provider, string? category, CancellationToken cancellationToken)
    {
        // The audit sink answers queries when it can (the default in-memory one and the durable stores do).
        var reader = sink as IOidcAuditReader;
        var rows = reader is null ? [] : await reader.QueryAsync(new OidcAuditQuery
        {
            ProviderId = string.IsNullOrEmpty(provider) ? null : provider,
            Category = string.IsNullOrEmpty(category) ? null : category,
            Limit = 50,
        }, cancellationToken);
        return View(new AdminPage(providers.GetStatuses(), rows, provider, category, reader is not null));
    }

    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> Refresh(string id, CancellationToken cancellationToken)
    {
        var result = await providers.RefreshAsync(id, User.GetOidcAuditActor(), cancellationToken);
        TempData["Message"] = result.Status switch
        {
            OidcRefreshStatus.Refreshed => $"Refreshed '{id}': {result.KidsBefore.Count} key(s) before, {result.KidsAfter.Count} after{(result.Changed ? " (changed)" : "")}.",
            OidcRefreshStatus.Throttled => $"'{id}' was refreshed moments ago; try again in {Math.Ceiling(result.RetryAfter?.TotalSeconds ?? 1)} s.",
            OidcRefreshStatus.NotFound => $"There is no provider '{id}'.",
            _ => $"'{id}' could not be reached ({result.ErrorCode}); its last good keys stay in use.",
        };
        return RedirectToAction(nameof(Index), new { provider = id });
    }
}

public sealed record AdminPage(
    IReadOnlyList<OidcProviderStatus> Providers, IReadOnlyList<OidcAuditRecord> Rows, string? Provider, string? Category, bool HasAuditReader);
