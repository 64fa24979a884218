using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Callback;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Bearer;

/// <summary>What became of one bearer token: refused with a stable reason and audit category, or accepted with its identity.</summary>
internal sealed record BearerResult(string Category, string? Reason, BearerCandidate? Candidate, string? Kid)
{
    public ClaimsIdentity? Identity { get; init; }

    public bool Refreshed { get; init; }

    public TimeSpan? Duration { get; init; }

    /// <summary>The required scopes (or roles) the token lacked, for the <c>WWW-Authenticate</c> answer.</summary>
    public IReadOnlyList<string>? Required { get; init; }

    public bool Succeeded => Identity is not null && Reason is null;
}

/// <summary>
/// Validates a bearer access token with the registry's keys, in cost order (docs/bearer.md): size and
/// shape; parse; the kid's form; the provider by <c>iss</c> (a dictionary lookup) and audience; the payload's shape (ID
/// token, <c>cnf</c>, reserved claims); the header (algorithm, <c>typ</c>); lifetime, audience and issuer; a revoked kid.
/// Only then keys: a kid the cached JWKS lacks goes to <see cref="KidMissRecovery"/> on the bearer path (its own budget,
/// shared key snapshots, so a rotation recovered here serves the login and the other way round); a known kid is verified.
/// Required scopes and roles are checked last, on a verified token only, so a forged token is never told it lacks a scope.
/// </summary>
internal sealed class BearerTokenValidator(BearerIssuerIndex index, KeyRefresher refresher, KidMissRecovery recovery, KeyRevocations revocations,
    KeyUsage usage, ILogger<BearerTokenValidator> logger)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<BearerResult> ValidateAsync(string scheme, string token, CancellationToken cancellationToken)
    {
        if ((IdTokenRules.CheckSize(token) ?? BearerTokenRules.CheckShape(token)) is { } shape)
        {
            return Refused(shape, null, null);
        }
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException or SecurityTokenMalformedException)
        {
            return Refused(OidcRpReasons.Malformed, null, null);
        }
        string? kid = null;
        if (jwt.TryGetHeaderValue<object>(JwtHeaderParameterNames.Kid, out var rawKid))
        {
            kid = rawKid as string;
            if (kid is null || !RecoveringTokenValidator.IsWellFormedKid(kid))
            {
                return Refused(OidcRpReasons.KidMalformed, null, null);
            }
        }
        var iss = jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Iss, out var issuer) ? issuer : null;
        if (await index.FindAsync(scheme, iss, cancellationToken) is not { } candidates)
        {
            return Refused(OidcRpReasons.IssuerUnknown, null, kid);
        }
        var candidate = Choose(candidates, jwt);
        var entry = candidate.Entry;
        var received = KeyRefresher.StartedSequence(entry); // the kid-miss rule's stale-join test

        var claims = BearerTokenRules.ScanClaims(jwt);
        if (claims.Refusal is { } claimRule)
        {
            return Refused(claimRule, candidate, kid);
        }

        var snapshot = candidate.Pinned ?? entry.Snapshot;
        if (snapshot is null)
        {
            var loaded = await refresher.EnsureLoadedAsync(entry, cancellationToken);
            if (loaded.Snapshot is not { } first)
            {
                return new BearerResult(OidcAuditCategories.JwksUnreachable, loaded.ErrorCode ?? OidcRpReasons.NeverLoaded, candidate, kid);
            }
            snapshot = first;
        }
        var algorithms = candidate.Settings.Algorithms ?? snapshot.ValidAlgorithms;
        if (BearerTokenRules.CheckHeader(jwt, algorithms, candidate.Settings.TokenTypes) is { } headerRule)
        {
            return Refused(headerRule, candidate, kid);
        }
        await revocations.WhenLoadedAsync();
        var parameters = Parameters(candidate, snapshot, scheme);
        if (RecoveringTokenValidator.CheckWithoutKey(jwt, parameters) is { } keyless)
        {
            return Refused(TokenFailureReasons.From(keyless), candidate, kid);
        }
        if (kid is not null && revocations.IsRevoked(entry, kid, snapshot))
        {
            return Refused(OidcRpReasons.KidRevoked, candidate, kid); // named, and never a fetch: the provider may still publish it
        }
        if (kid is not null && !snapshot.KidAllowsAlgorithm(kid, jwt.Alg))
        {
            return Refused(OidcRpReasons.AlgNotAllowed, candidate, kid);
        }

        // An unknown kid costs the parse and the checks above, then the bearer budget's decision: no signature work.
        if (kid is not null && snapshot.EveryKeyHasKid && !snapshot.HasKid(kid))
        {
            return await RecoverAsync(candidate, jwt, kid, received, snapshot, scheme, claims, cancellationToken);
        }
        var result = await _handler.ValidateTokenAsync(jwt, kid is null ? WithoutKid(candidate, snapshot, scheme) : parameters);
        if (result.IsValid)
        {
            usage.Hit(entry, snapshot);
            return Accepted(candidate, kid, result, claims, OidcAuditCategories.LoginSucceeded);
        }
        if (kid is not null && candidate.Pinned is null && (result.Exception is SecurityTokenSignatureKeyNotFoundException
            || (refresher.Policy.Options.RefreshOnKnownKidSignatureFailure && result.Exception is SecurityTokenInvalidSignatureException)))
        {
            return await RecoverAsync(candidate, jwt, kid, received, snapshot, scheme, claims, cancellationToken);
        }
        return Refused(TokenFailureReasons.From(result.Exception), candidate, kid);
    }

    private async Task<BearerResult> RecoverAsync(BearerCandidate candidate, JsonWebToken jwt, string kid, long received, ProviderSnapshot failed,
        string scheme, BearerClaims claims, CancellationToken cancellationToken)
    {
        usage.Miss(candidate.Entry, failed);
        Log.BearerKidMiss(logger, candidate.Entry.Id, AuditText.Clean(kid, AuditText.MaxKid)!);
        if (candidate.Pinned is not null)
        {
            // Pinned keys are never fetched: the kid is simply not one of them.
            return new BearerResult(OidcAuditCategories.KidMismatchUnrecovered, OidcRpReasons.KidNotFound, candidate, kid);
        }
        var outcome = await recovery.RecoverAsync(candidate.Entry, KidMissPath.Bearer, kid, received, failed,
            keys => revocations.IsRevoked(candidate.Entry, kid, keys)
                ? Task.FromResult(new TokenValidationResult { IsValid = false, Exception = new SecurityTokenSignatureKeyNotFoundException("The kid is revoked.") })
                : _handler.ValidateTokenAsync(jwt, Parameters(candidate, keys, scheme)),
            cancellationToken);
        if (outcome.Recovered)
        {
            return Accepted(candidate, kid, outcome.Result, claims, outcome.Category) with { Refreshed = outcome.Refreshed, Duration = outcome.Duration };
        }
        var category = outcome.Category == OidcAuditCategories.IdTokenInvalid ? OidcAuditCategories.AccessTokenInvalid : outcome.Category;
        return new BearerResult(category, outcome.Reason ?? OidcRpReasons.Unknown, candidate, kid) { Refreshed = outcome.Refreshed, Duration = outcome.Duration };
    }

    private BearerResult Accepted(BearerCandidate candidate, string? kid, TokenValidationResult result, BearerClaims claims, string category)
    {
        var settings = candidate.Settings;
        if (BearerTokenRules.FirstMissing(settings.RequiredScopes, claims.Scopes) is not null)
        {
            return Refused(OidcRpReasons.InsufficientScope, candidate, kid) with { Required = settings.RequiredScopes };
        }
        if (BearerTokenRules.FirstMissing(settings.RequiredRoles, claims.Roles) is not null)
        {
            return Refused(OidcRpReasons.InsufficientScope, candidate, kid) with { Required = [] };
        }
        var identity = result.ClaimsIdentity;
        identity.AddClaim(new Claim(OidcRpClaimTypes.Provider, candidate.Entry.Id, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        if (IssuerRule.TenantOf(result.SecurityToken) is { } tid && IssuerRule.TryParseTenant(tid, out var tenant) && IssuerRule.IsTemplateProvider(candidate.Entry.Options))
        {
            identity.AddClaim(new Claim(OidcRpClaimTypes.Tenant, tenant, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        }
        foreach (var scope in claims.Scopes.Distinct(StringComparer.Ordinal))
        {
            identity.AddClaim(new Claim(OidcRpBearerDefaults.ScopeClaimType, scope, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        }
        foreach (var role in claims.Roles.Distinct(StringComparer.Ordinal))
        {
            identity.AddClaim(new Claim(OidcRpBearerDefaults.RoleClaimType, role, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        }
        return new BearerResult(category, null, candidate, kid) { Identity = identity };
    }

    private static BearerCandidate Choose(BearerCandidate[] candidates, JsonWebToken jwt)
    {
        if (candidates.Length == 1)
        {
            return candidates[0];
        }
        // One OP, several registrations: the token's audience says which API registration it was issued for.
        foreach (var candidate in candidates)
        {
            foreach (var audience in jwt.Audiences)
            {
                if (candidate.Settings.Audiences.Contains(audience, StringComparer.Ordinal))
                {
                    return candidate;
                }
            }
        }
        return candidates[0]; // none matches: refused by the audience check, as the first
    }

    /// <summary>The parameters for tokens naming a kid, made once per snapshot and revocation state.</summary>
    private TokenValidationParameters Parameters(BearerCandidate candidate, ProviderSnapshot snapshot, string scheme)
    {
        var version = revocations.Version;
        if (candidate.Cached is { } cached && ReferenceEquals(cached.Snapshot, snapshot) && cached.RevokedVersion == version)
        {
            return cached.Parameters;
        }
        var parameters = Build(candidate, snapshot, scheme, tryAllKeys: false);
        candidate.Cached = new CachedParameters(snapshot, version, parameters);
        return parameters;
    }

    // Kid-less tokens are rare (the OpenID RP tests): each is tried against every trusted key, bounded by the JWKS key cap.
    private TokenValidationParameters WithoutKid(BearerCandidate candidate, ProviderSnapshot snapshot, string scheme) =>
        Build(candidate, snapshot, scheme, tryAllKeys: true);

    private TokenValidationParameters Build(BearerCandidate candidate, ProviderSnapshot snapshot, string scheme, bool tryAllKeys)
    {
        var settings = candidate.Settings;
        var algorithms = settings.Algorithms ?? snapshot.ValidAlgorithms;
        var p = RecoveringTokenValidator.Prepare(new TokenValidationParameters
        {
            ValidAudiences = settings.Audiences,
            ClockSkew = settings.ClockSkew,
            AuthenticationType = scheme,
            NameClaimType = JwtRegisteredClaimNames.Sub,
            RoleClaimType = OidcRpBearerDefaults.RoleClaimType,
        }, snapshot, tryAllKeys ? null : "kid");
        p.IssuerSigningKeys = revocations.Trusted(candidate.Entry, snapshot);
        p.ValidAlgorithms = algorithms;
        p.AlgorithmValidator = (algorithm, key, _, _) => algorithms.Contains(algorithm, StringComparer.Ordinal) && snapshot.Bindings.Allows(key, algorithm);
        return p;
    }

    private static BearerResult Refused(string reason, BearerCandidate? candidate, string? kid) =>
        new(OidcAuditCategories.AccessTokenInvalid, reason, candidate, kid);
}
