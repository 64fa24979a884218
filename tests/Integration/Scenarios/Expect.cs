using System.Net;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>Assertions shared by the scenarios.</summary>
internal static class Expect
{
    /// <summary>The login ended in the RP's redirect to the return URL (a 302), i.e. the user is signed in.</summary>
    public static async Task SignedIn(Task<HttpResponseMessage> login)
    {
        using var response = await login;
        await SignedIn(response);
    }

    /// <summary>The response is the RP's redirect to the return URL; otherwise fails with the status and the error page.</summary>
    public static async Task SignedIn(HttpResponseMessage response, string returnUrl = "/whoami")
    {
        Xunit.Assert.True(response.StatusCode == HttpStatusCode.Found,
            $"expected a signed-in redirect, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Xunit.Assert.Equal(returnUrl, response.Headers.Location?.OriginalString);
    }
}
