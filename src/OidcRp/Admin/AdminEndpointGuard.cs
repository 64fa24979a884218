using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OidcRp.Admin;

/// <summary>
/// Makes a weakly protected admin mapping fail at start-up: each admin endpoint must carry an authorization
/// policy, must not allow anonymous access, and its effective policy (resolved as the authorization middleware
/// resolves it) must ask more than "an authenticated user" unless <see cref="OidcAdminOptions.AllowAnyAuthenticatedAdmin"/>
/// says so. The checks run when endpoints are built, which this hosted service forces at start.
/// </summary>
internal sealed class AdminEndpointGuard(IServiceProvider services, IOptions<OidcRpOptions> options, AdminEndpointSources sources) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Building the endpoints runs RequireAuthorizationPolicy on every admin endpoint. The data sources are the
        // ones MapOidcAdmin was called on: the host starts this service before the web host wires the application's
        // data sources into routing, so the EndpointDataSource service may still be empty here.
        var endpoints = sources.Endpoints() ?? services.GetService<EndpointDataSource>()?.Endpoints ?? [];
        var admin = endpoints.Where(e => e.Metadata.GetMetadata<OidcAdminEndpointMetadata>() is not null).ToList();
        if (admin.Count == 0 || options.Value.Admin.AllowAnyAuthenticatedAdmin)
        {
            return;
        }
        var policies = services.GetService<IAuthorizationPolicyProvider>()
            ?? throw new InvalidOperationException("OidcRp admin endpoints need authorization: call services.AddAuthorization() and app.UseAuthorization().");
        var weak = new List<string>();
        foreach (var endpoint in admin)
        {
            if (await EffectivePolicyAsync(policies, endpoint.Metadata) is not { } policy || OnlyAuthenticatedUser(policy))
            {
                weak.Add(endpoint.DisplayName ?? endpoint.ToString()!);
            }
        }
        if (weak.Count > 0)
        {
            throw new InvalidOperationException(
                $"OidcRp admin endpoints ({string.Join(", ", weak)}) would let any authenticated user in: their authorization policy only requires " +
                "an authenticated user, and anyone who can sign in through any configured provider would be an administrator. Require a role, " +
                "claim or assertion in the policy given to MapOidcAdmin().RequireAuthorization(\"YourAdminPolicy\"), or set " +
                "OidcRp:Admin:AllowAnyAuthenticatedAdmin to true if every user who can sign in is an administrator.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static void RequireAuthorizationPolicy(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        if (!metadata.OfType<OidcAdminEndpointMetadata>().Any())
        {
            return;
        }
        var authorized = metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any()
            || metadata.OfType<IAuthorizationRequirementData>().Any();
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        if (!authorized || anonymous)
        {
            throw new InvalidOperationException(
                $"OidcRp admin endpoint '{endpoint.DisplayName}' has no authorization policy. Call MapOidcAdmin().RequireAuthorization(\"YourAdminPolicy\").");
        }
    }

    /// <summary>
    /// The policy the authorization middleware will enforce: the named and default policies from the policy
    /// provider (the application's, when it replaced it), policy objects, and requirement metadata, combined.
    /// </summary>
    internal static async Task<AuthorizationPolicy?> EffectivePolicyAsync(IAuthorizationPolicyProvider provider, EndpointMetadataCollection metadata)
    {
        var policy = await AuthorizationPolicy.CombineAsync(provider, metadata.GetOrderedMetadata<IAuthorizeData>(), metadata.GetOrderedMetadata<AuthorizationPolicy>());
        var requirementData = metadata.GetOrderedMetadata<IAuthorizationRequirementData>();
        if (requirementData.Count == 0)
        {
            return policy;
        }
        var builder = new AuthorizationPolicyBuilder();
        foreach (var data in requirementData)
        {
            builder.AddRequirements([.. data.GetRequirements()]);
        }
        return policy is null ? builder.Build() : AuthorizationPolicy.Combine(policy, builder.Build());
    }

    /// <summary>A policy that any signed-in user meets: nothing but <see cref="DenyAnonymousAuthorizationRequirement"/>.</summary>
    internal static bool OnlyAuthenticatedUser(AuthorizationPolicy policy) =>
        policy.Requirements.All(r => r is DenyAnonymousAuthorizationRequirement);
}

/// <summary>The endpoint data sources <c>MapOidcAdmin</c> added its endpoints to, for <see cref="AdminEndpointGuard"/>.</summary>
internal sealed class AdminEndpointSources
{
    private readonly List<ICollection<EndpointDataSource>> _sources = [];
    private readonly Lock _gate = new();

    public void Add(ICollection<EndpointDataSource> sources)
    {
        lock (_gate)
        {
            _sources.Add(sources);
        }
    }

    /// <summary>Every endpoint of the recorded sources, or null when MapOidcAdmin recorded none.</summary>
    public IReadOnlyList<Endpoint>? Endpoints()
    {
        lock (_gate)
        {
            return _sources.Count == 0 ? null : [.. _sources.SelectMany(s => s.ToList()).Distinct().SelectMany(d => d.Endpoints)];
        }
    }
}
