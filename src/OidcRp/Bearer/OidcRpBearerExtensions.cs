using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OidcRp;
using OidcRp.Bearer;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Registers OidcRp's bearer scheme: JWT access tokens of the registered providers, validated with the same registry, key
/// snapshots and kid-miss rule as the login (docs/bearer.md). The providers come from <c>AddMultiOidc</c>.
/// </summary>
public static class OidcRpBearerExtensions
{
    /// <summary>Adds the bearer scheme <c>Bearer</c>, bound from <paramref name="configuration"/> (usually <c>OidcRp:Bearer</c>).</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configuration">The bearer configuration section.</param>
    /// <param name="configure">Optional code configuration, applied after the section.</param>
    /// <returns>The authentication builder.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Both overloads are in the first version; a later parameter gets a new overload (docs/packages.md).")]
    public static AuthenticationBuilder AddOidcRpBearer(this AuthenticationBuilder builder, IConfiguration configuration,
        Action<OidcRpBearerOptions>? configure = null) =>
        builder.AddOidcRpBearer(OidcRpBearerDefaults.AuthenticationScheme, configuration, configure);

    /// <summary>Adds a bearer scheme named <paramref name="authenticationScheme"/>, bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="authenticationScheme">The scheme name.</param>
    /// <param name="configuration">The bearer configuration section.</param>
    /// <param name="configure">Optional code configuration, applied after the section.</param>
    /// <returns>The authentication builder.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "Both overloads are in the first version; a later parameter gets a new overload (docs/packages.md).")]
    public static AuthenticationBuilder AddOidcRpBearer(this AuthenticationBuilder builder, string authenticationScheme, IConfiguration configuration,
        Action<OidcRpBearerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<OidcRpBearerOptions>(authenticationScheme).Bind(configuration);
        return builder.AddOidcRpBearer(authenticationScheme, configure ?? (_ => { }));
    }

    /// <summary>Adds the bearer scheme <c>Bearer</c>, configured in code.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configure">Configures audiences, scopes and the accepted providers.</param>
    /// <returns>The authentication builder.</returns>
    public static AuthenticationBuilder AddOidcRpBearer(this AuthenticationBuilder builder, Action<OidcRpBearerOptions> configure) =>
        builder.AddOidcRpBearer(OidcRpBearerDefaults.AuthenticationScheme, configure);

    /// <summary>Adds a bearer scheme named <paramref name="authenticationScheme"/>, configured in code.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="authenticationScheme">The scheme name.</param>
    /// <param name="configure">Configures audiences, scopes and the accepted providers.</param>
    /// <returns>The authentication builder.</returns>
    public static AuthenticationBuilder AddOidcRpBearer(this AuthenticationBuilder builder, string authenticationScheme, Action<OidcRpBearerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        OidcRpServiceCollectionExtensions.AddCoreServices(services); // the registry, refresher and audit, once
        services.AddOptions<OidcRpBearerOptions>(authenticationScheme).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcRpBearerOptions>, OidcRpBearerOptionsValidator>());
        services.TryAddSingleton<BearerIssuerIndex>();
        services.TryAddSingleton<BearerTokenValidator>();
        services.TryAddSingleton<BearerAuditor>();
        return builder.AddScheme<OidcRpBearerOptions, OidcRpBearerHandler>(authenticationScheme, displayName: null, configure);
    }

    /// <summary>
    /// Requires every one of <paramref name="scopes"/> among the bearer token's scopes (<c>scope</c> or <c>scp</c>). Combine with
    /// <c>AddAuthenticationSchemes("Bearer")</c> so that a failure is answered <c>403</c> with <c>error="insufficient_scope"</c>.
    /// </summary>
    /// <param name="policy">The policy builder.</param>
    /// <param name="scopes">The scopes required, all of them.</param>
    /// <returns>The policy builder.</returns>
    public static AuthorizationPolicyBuilder RequireOidcRpScope(this AuthorizationPolicyBuilder policy, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            policy.RequireClaim(OidcRpBearerDefaults.ScopeClaimType, scope); // one requirement per scope: all are needed
        }
        return policy;
    }

    /// <summary>Requires every one of <paramref name="roles"/> among the bearer token's roles (<c>roles</c>, <c>realm_access.roles</c>).</summary>
    /// <param name="policy">The policy builder.</param>
    /// <param name="roles">The roles required, all of them.</param>
    /// <returns>The policy builder.</returns>
    public static AuthorizationPolicyBuilder RequireOidcRpRole(this AuthorizationPolicyBuilder policy, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(roles);
        foreach (var role in roles)
        {
            policy.RequireClaim(OidcRpBearerDefaults.RoleClaimType, role);
        }
        return policy;
    }
}
