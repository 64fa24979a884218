using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace OidcRp.Samples.MvcApp.Controllers;

/// <summary>The start page with a sign-in button per provider, and the signed-in user's profile.</summary>
public sealed class HomeController(IOidcProviders providers, IHttpClientFactory http) : Controller
{
    public IActionResult Index() => View(providers.GetStatuses());

    [Authorize]
    public IActionResult Profile() => View();

    /// <summary>Calls the sample's API with the user's saved access token (<c>Sample:Api:SaveTokens</c>) and shows the answer.</summary>
    [Authorize]
    [HttpPost]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> CallApi()
    {
        ViewData["ApiResult"] = await SampleApi.CallWithUserTokenAsync(HttpContext, http)
            ?? "No access token was saved at sign-in: set Sample:Api:SaveTokens to true.";
        return View(nameof(Profile));
    }

    public IActionResult Denied() => View();

    public IActionResult Error() => View();
}
