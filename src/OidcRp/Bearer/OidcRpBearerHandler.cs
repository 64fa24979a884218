using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OidcRp.Audit;

namespace OidcRp.Bearer;

/// <summary>
/// The bearer scheme: reads the token (<see cref="BearerTokenReader"/>), validates it (<see cref="BearerTokenValidator"/>),
/// records the outcome (<see cref="BearerAuditor"/>) and answers as RFC 6750 §3 says: <c>401</c> with a bare
/// <c>WWW-Authenticate: Bearer</c> when the request had no token; <c>401</c> with <c>error="invalid_token"</c> for a refused
/// one; <c>400</c> with <c>error="invalid_request"</c> for a token in several places; <c>403</c> with
/// <c>error="insufficient_scope"</c> when a valid token lacks a required scope or role, or an authorization policy forbids.
/// No answer says why a token was refused (no <c>error_description</c>, no body): the reason is in the metrics, the log
/// and, for forgery-shaped failures, the audit.
/// </summary>
internal sealed class OidcRpBearerHandler(IOptionsMonitor<OidcRpBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    BearerTokenValidator validator, BearerAuditor auditor) : AuthenticationHandler<OidcRpBearerOptions>(options, logger, encoder)
{
    private string? _failure;
    private IReadOnlyList<string>? _required;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = BearerTokenReader.Read(Request, Options, out var invalid);
        if (invalid)
        {
            _failure = OidcRpReasons.TokenLocationInvalid;
            auditor.Count(null, OidcRpReasons.TokenLocationInvalid);
            return AuthenticateResult.Fail(_failure);
        }
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }
        var result = await validator.ValidateAsync(Scheme.Name, token, Context.RequestAborted);
        await auditor.RecordAsync(Context, result);
        if (result.Succeeded)
        {
            return AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(result.Identity!), Scheme.Name));
        }
        _failure = result.Reason;
        _required = result.Required;
        return AuthenticateResult.Fail(_failure ?? OidcRpReasons.Unknown); // the stable reason only: never token text
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        switch (_failure)
        {
            case null:
                Answer(StatusCodes.Status401Unauthorized, "Bearer"); // RFC 6750 §3.1: no error code when no token was sent
                break;
            case OidcRpReasons.InsufficientScope:
                Answer(StatusCodes.Status403Forbidden, _required is { Count: > 0 } scopes
                    ? $"Bearer error=\"insufficient_scope\", scope=\"{string.Join(' ', scopes)}\""
                    : "Bearer error=\"insufficient_scope\"");
                break;
            case OidcRpReasons.TokenLocationInvalid:
                Answer(StatusCodes.Status400BadRequest, "Bearer error=\"invalid_request\"");
                break;
            default:
                Answer(StatusCodes.Status401Unauthorized, "Bearer error=\"invalid_token\"");
                break;
        }
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Answer(StatusCodes.Status403Forbidden, "Bearer error=\"insufficient_scope\"");
        return Task.CompletedTask;
    }

    private void Answer(int status, string challenge)
    {
        Response.StatusCode = status;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, challenge);
    }
}
