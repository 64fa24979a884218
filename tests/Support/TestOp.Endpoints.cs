using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Tests.Support;

/// <summary>The test OP's userinfo and pushed authorization endpoints, and client authentication at the back channel.</summary>
public sealed partial class TestOp
{
    private IResult UserInfo(HttpRequest request)
    {
        Hit("userinfo");
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryGetValue(header[7..], out var subject))
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
        if (UserInfoStatus is { } status)
        {
            return Results.StatusCode(status);
        }
        var claims = new Dictionary<string, object?>(UserInfoClaims) { ["sub"] = UserInfoSubject ?? subject };
        if (UserInfoPadding > 0)
        {
            claims["padding"] = new string('x', UserInfoPadding);
        }
        if (UserInfoAsJwt)
        {
            claims["iss"] = Issuer;
            claims["aud"] = ClientId;
            return Results.Text(Signing!.Sign(new Dictionary<string, object?> { ["alg"] = "RS256", ["kid"] = Signing.Kid }, claims), "application/jwt");
        }
        return Results.Json(claims);
    }

    /// <summary>RFC 9126 §2.1: a pushed authorization request, authenticated like a token request; answers a one-time request_uri.</summary>
    private async Task<IResult> PushAsync(HttpRequest request)
    {
        Hit("par");
        var form = await request.ReadFormAsync();
        if (Authenticate(request, form) is { } refused)
        {
            return refused;
        }
        var parameters = form.Where(p => p.Key != "client_secret").ToDictionary(p => p.Key, p => p.Value.ToString());
        parameters["client_id"] = ClientId;
        PushedRequests.Enqueue(parameters);
        var requestUri = "urn:ietf:params:oauth:request_uri:" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        _pushed[requestUri] = parameters;
        return Results.Json(new { request_uri = requestUri, expires_in = 60 }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Client authentication (RFC 6749 §2.3.1): exactly one method, the right credentials, the required method when one is set.</summary>
    private IResult? Authenticate(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        string? clientId, secret, method;
        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])).Split(':', 2);
            (clientId, secret, method) = (WebUtility.UrlDecode(decoded[0]), WebUtility.UrlDecode(decoded[1]), "client_secret_basic");
            if (form.ContainsKey("client_secret"))
            {
                return Results.Json(new { error = "invalid_request", error_description = "two client authentication methods" }, statusCode: 400);
            }
        }
        else
        {
            (clientId, secret, method) = (form["client_id"], form["client_secret"], "client_secret_post");
        }
        AuthMethodsUsed.Enqueue(method);
        if (clientId != ClientId || secret != Secret || (RequireAuthMethod is { } required && required != method))
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }
        return null;
    }
}
