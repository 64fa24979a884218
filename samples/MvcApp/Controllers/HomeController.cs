using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>The start page with a sign-in button per provider, and the signed-in user's profile.</summary>
public sealed class HomeController(IOidcProviders providers) : Controller
{
    public IActionResult Index() => View(providers.GetStatuses());

    [Authorize]
    public IActionResult Profile() => View();

    public IActionResult Denied() => View();

    public IActionResult Error() => View();
}
