using Microsoft.AspNetCore.Mvc;
using OidcRp.Samples.DevOp;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>
/// Development only: rotates a key at the embedded development OP, to watch OidcRp recover on the next
/// sign-in. Answers 404 wherever the embedded OP is not running (it never runs outside Development).
/// </summary>
public sealed class DevController(IWebHostEnvironment environment, IServiceProvider services) : Controller
{
    private EmbeddedDevOp? DevOp => environment.IsDevelopment() ? services.GetService<EmbeddedDevOp>() : null;

    public IActionResult Index() => DevOp is { } devOp ? View(devOp) : NotFound();

    [HttpPost]
    [ValidateAntiForgeryToken]
    public IActionResult Rotate(string issuer, DevOpRotation mode)
    {
        if (DevOp is not { } devOp || !devOp.Issuers.TryGetValue(issuer, out var server))
        {
            return NotFound();
        }
        try
        {
            var state = server.Rotate(mode);
            TempData["Message"] = $"{issuer}: {mode}. Signing with {state.SigningKid}; published: {string.Join(", ", state.PublishedKids)}.";
        }
        catch (InvalidOperationException e)
        {
            TempData["Message"] = $"{issuer}: {e.Message}";
        }
        return RedirectToAction(nameof(Index));
    }
}
