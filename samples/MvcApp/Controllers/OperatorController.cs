using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Samples.MvcApp.Operator;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>
/// The operator's view (<c>/admin/operator</c>): per provider, the key sets over time with every fetch by trigger and
/// every rotation, login outcomes per category, the kid-miss budget and health. Read-only; admins only. See
/// docs/operator-view.md.
/// </summary>
[Authorize(Policy = SampleApp.AdminPolicy)]
[Route("admin/operator")]
public sealed class OperatorController(IOidcProviders providers, IOidcAuditSink sink, IOptions<OidcRpOptions> options, TimeProvider time)
    : Controller
{
    [HttpGet("")]
    public async Task<IActionResult> Index(string? window, CancellationToken cancellationToken)
    {
        // OidcRp's health checks when the app registered them (AddHealthChecks().AddOidcRpProviders()); else the view
        // applies the same rule to the provider status.
        var health = HttpContext.RequestServices.GetService<HealthCheckService>();
        var page = await OperatorData.BuildAsync(sink, providers, options.Value, health, time, window, cancellationToken);
        return View("~/Views/Operator/Index.cshtml", page);
    }
}
