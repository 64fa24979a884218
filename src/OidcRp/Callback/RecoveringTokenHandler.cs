using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>
/// The <c>TokenHandler</c> the stock OpenIdConnect handler validates ID tokens with: one per provider,
/// delegating to <see cref="RecoveringTokenValidator"/> and leaving the outcome on the request for the audit row.
/// </summary>
internal sealed class RecoveringTokenHandler(ProviderEntry entry, RecoveringTokenValidator validator,
    IHttpContextAccessor httpContextAccessor, JsonWebTokenHandler inner) : TokenHandler
{
    public JsonWebTokenHandler Inner { get; } = inner;

    public override SecurityToken ReadToken(string token) => Inner.ReadToken(token);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var context = httpContextAccessor.HttpContext;
        var (result, record) = await validator.ValidateAsync(entry, Inner, token, validationParameters, context?.RequestAborted ?? default);
        if (context?.Features.Get<OidcCallbackFeature>() is { } feature)
        {
            feature.Validation = record;
            feature.RefusedTenant = (result.Exception as SecurityTokenTenantException)?.Tenant;
        }
        return result;
    }
}
