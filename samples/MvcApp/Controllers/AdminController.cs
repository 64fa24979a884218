using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using OidcRp.Audit;
using OidcRp.Farm;
using OidcRp.Providers.Sql;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>
/// The operator's page: providers with their keys and where each came from, a forced refresh, the latest audit rows,
/// the farm status (which instance answered, Redis reachable, the shared snapshot version per provider) and, in
/// Development only, a form that adds a provider through the SQLite provider store.
/// </summary>
[Authorize(Policy = SampleApp.AdminPolicy)]
public sealed class AdminController(IOidcProviders providers, IOidcAuditSink sink, IOidcFarmStatus farm, IWebHostEnvironment environment) : Controller
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
        // Every provider, configured and stored (store providers not used yet are listed from their row).
        var page = await providers.ListAsync(null, 100, cancellationToken);
        return View(new AdminPage(page.Providers, rows, provider, category, reader is not null, Store is not null,
            farm.GetStatus()));
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

    /// <summary>Development only: saves a provider in the SQLite provider store; it serves logins at once.</summary>
    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> AddProvider(NewProvider form, CancellationToken cancellationToken)
    {
        if (Store is not { } store)
        {
            return NotFound();
        }
        var result = await store.SaveAsync(new OidcProviderOptions
        {
            Id = form.Id?.Trim() ?? "",
            DisplayName = string.IsNullOrWhiteSpace(form.DisplayName) ? null : form.DisplayName.Trim(),
            Authority = form.Authority?.Trim(),
            ClientId = form.ClientId?.Trim(),
            ClientSecret = string.IsNullOrEmpty(form.ClientSecret) ? null : form.ClientSecret,
            RequireHttpsMetadata = !form.AllowHttp,
        }, actor: User.GetOidcAuditActor(), cancellationToken: cancellationToken);
        // The errors name settings, never the secret.
        TempData["Message"] = result.Succeeded
            ? $"Added '{form.Id}' to the SQLite provider store (version {result.Version})."
            : "Not added: " + string.Join(" ", result.Errors);
        return RedirectToAction(nameof(Index));
    }

    private SqlOidcProviderStore? Store =>
        environment.IsDevelopment() ? HttpContext.RequestServices.GetService<SqlOidcProviderStore>() : null;
}

/// <summary>The admin page's add-provider form.</summary>
public sealed class NewProvider
{
    public string? Id { get; set; }

    public string? DisplayName { get; set; }

    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    public bool AllowHttp { get; set; }
}

public sealed record AdminPage(
    IReadOnlyList<OidcProviderStatus> Providers, IReadOnlyList<OidcAuditRecord> Rows, string? Provider, string? Category, bool HasAuditReader,
    bool CanAddProviders, OidcFarmStatus Farm);
