using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>
/// Validates an ID token with the registry's keys and applies the rule at the centre of OidcRp:
/// when the token names a kid the cached JWKS lacks (typed, never by message text) and passes every
/// check that needs no key (issuer, audience, lifetime), ask the refresher once and validate once more.
/// A known kid with a bad signature is a plain failure (unless the kid-reuse switch is on).
/// </summary>
internal sealed class RecoveringTokenValidator(KeyRefresher refresher, KidMissRecovery recovery, TimeProvider time, ILogger<RecoveringTokenValidator> logger,
    KeyRevocations? revocations = null, KeyUsage? usage = null)
{
    internal const int MaxKidLength = 256;

    public async Task<(TokenValidationResult Result, ValidationRecord Record)> ValidateAsync(
        ProviderEntry entry, JsonWebTokenHandler inner, string token, TokenValidationParameters parameters,
        CancellationToken cancellationToken)
    {
        using var activity = OidcRpActivity.Source.StartActivity(OidcRpActivity.ValidateIdToken);
        activity?.SetTag("oidcrp.provider", entry.Id);
        // Fetches numbered above this one started after the token arrived (the kid-miss rule's stale-join test).
        var received = KeyRefresher.StartedSequence(entry);

        if (IdTokenRules.CheckSize(token) is { } tooLarge)
        {
            return Fail(new SecurityTokenMalformedException("The ID token is too large."), OidcAuditCategories.IdTokenInvalid, tooLarge, null);
        }
        JsonWebToken jwt;
        try
        {
            jwt = inner.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException or SecurityTokenMalformedException)
        {
            return Fail(new SecurityTokenMalformedException("The ID token is not a compact JWS.", e), OidcAuditCategories.IdTokenInvalid, OidcRpReasons.Malformed, null);
        }
        if (jwt.IsEncrypted)
        {
            return Fail(new SecurityTokenMalformedException("Encrypted ID tokens are not accepted."), OidcAuditCategories.IdTokenInvalid, OidcRpReasons.JweNotAllowed, null);
        }

        string? kid = null;
        if (jwt.TryGetHeaderValue<object>(JwtHeaderParameterNames.Kid, out var rawKid))
        {
            kid = rawKid as string;
            if (kid is null || !IsWellFormedKid(kid))
            {
                // Rejected before any refresh: a malformed kid is never a rotation.
                return Fail(new SecurityTokenMalformedException("The ID token's kid is malformed."), OidcAuditCategories.IdTokenInvalid, OidcRpReasons.KidMalformed, kid);
            }
        }

        var loaded = entry.Snapshot is { } current ? new RefreshResult(RefreshStatus.NotNeeded, current)
            : await refresher.EnsureLoadedAsync(entry, cancellationToken);
        if (loaded.Snapshot is not { } snapshot)
        {
            // The reason says why the load failed (discovery_dns, jwks_http_503, …) so an operator can act on it.
            return Fail(new SecurityTokenSignatureKeyNotFoundException("No signing keys are loaded."), OidcAuditCategories.JwksUnreachable,
                loaded.ErrorCode ?? OidcRpReasons.NeverLoaded, kid);
        }

        // Header and claim rules need no key: a token breaking one never costs a signature check or a fetch.
        if (IdTokenRules.CheckHeader(jwt, snapshot.ValidAlgorithms) is { } headerRule)
        {
            var exception = headerRule == OidcRpReasons.AlgNotAllowed
                ? new SecurityTokenInvalidAlgorithmException("The ID token's algorithm is not allowed.")
                : (Exception)new SecurityTokenMalformedException("The ID token's header is not allowed.");
            return Fail(exception, OidcAuditCategories.IdTokenInvalid, headerRule, kid);
        }
        if (IdTokenRules.CheckClaims(jwt, parameters.ValidAudience, parameters.ClockSkew, time.GetUtcNow()) is { } claimRule)
        {
            return Fail(new SecurityTokenValidationException("The ID token's claims break OIDC Core 3.1.3.7."), OidcAuditCategories.IdTokenInvalid, claimRule, kid);
        }
        if (MetadataParser.SymmetricAlgorithmKeyBytes.ContainsKey(jwt.Alg))
        {
            // Allowed only because the provider's SigningAlgorithms lists it: the client secret is the one
            // key (OIDC Core §10.1), whatever kid the token names, and a failure is never a rotation.
            var symmetric = await inner.ValidateTokenAsync(jwt, WithClientSecret(parameters, snapshot, entry.Options.ClientSecret));
            return symmetric.IsValid
                ? (symmetric, new ValidationRecord(OidcAuditCategories.LoginSucceeded, true, Kid: kid))
                : Fail(symmetric, OidcAuditCategories.IdTokenInvalid, symmetric.Exception is SecurityTokenSignatureKeyNotFoundException
                    ? OidcRpReasons.SignatureInvalid : TokenFailureReasons.From(symmetric.Exception), kid); // one key: "not found" means it did not verify
        }
        if (kid is not null && !snapshot.KidAllowsAlgorithm(kid, jwt.Alg))
        {
            return Fail(new SecurityTokenInvalidAlgorithmException("The key named by the ID token is bound to another algorithm."),
                OidcAuditCategories.IdTokenInvalid, OidcRpReasons.AlgNotAllowed, kid);
        }

        if (revocations is not null)
        {
            await revocations.WhenLoadedAsync();
            if (kid is not null && revocations.IsRevoked(entry, kid, snapshot))
            {
                // An operator revoked it: refused by name, never a fetch, even while the provider still publishes it.
                return Fail(new SecurityTokenSignatureKeyNotFoundException("The ID token's kid is revoked."), OidcAuditCategories.IdTokenInvalid, OidcRpReasons.KidRevoked, kid);
            }
        }

        // Fast path for an unknown kid: no signature work at all, so forged kids cost a parse only.
        if (kid is not null && snapshot.EveryKeyHasKid && !snapshot.HasKid(kid))
        {
            usage?.Miss(entry, snapshot);
            return await RecoverAsync(entry, inner, jwt, kid, received, snapshot, parameters, cancellationToken);
        }

        // The handler's parameters are its own copy for this token (the stock handler clones its options' parameters
        // per call), so the first verification writes onto them instead of cloning again; the rare recovery path clones.
        var prepared = Prepare(parameters, snapshot, kid);
        if (revocations is not null)
        {
            prepared.IssuerSigningKeys = revocations.Trusted(entry, snapshot); // a kid-less token is never tried with a revoked key
        }
        var result = await inner.ValidateTokenAsync(jwt, prepared);
        if (result.IsValid)
        {
            usage?.Hit(entry, snapshot);
            return (result, new ValidationRecord(OidcAuditCategories.LoginSucceeded, true, Kid: kid));
        }
        if (kid is not null && (result.Exception is SecurityTokenSignatureKeyNotFoundException
            || (refresher.Policy.Options.RefreshOnKnownKidSignatureFailure && result.Exception is SecurityTokenInvalidSignatureException)))
        {
            return await RecoverAsync(entry, inner, jwt, kid, received, snapshot, parameters, cancellationToken);
        }
        return Fail(result, OidcAuditCategories.IdTokenInvalid, TokenFailureReasons.From(result.Exception), kid);
    }

    private async Task<(TokenValidationResult, ValidationRecord)> RecoverAsync(ProviderEntry entry, JsonWebTokenHandler inner,
        JsonWebToken jwt, string kid, long received, ProviderSnapshot failedSnapshot, TokenValidationParameters parameters,
        CancellationToken cancellationToken)
    {
        Log.KidMissDetected(logger, entry.Id, AuditText.Clean(kid, AuditText.MaxKid)!);

        // Checks that need no key come first: a token with the wrong issuer, audience or lifetime is not a
        // rotation and must not make the provider serve a JWKS.
        // Checked directly with IdentityModel's validators, in the token handler's order: a forged kid costs these
        // comparisons, not a second pass through the handler with a claims identity built for nothing.
        if (CheckWithoutKey(jwt, Prepare(parameters, failedSnapshot, kid)) is { } keyless)
        {
            return Fail(new TokenValidationResult { IsValid = false, Exception = keyless }, OidcAuditCategories.IdTokenInvalid,
                TokenFailureReasons.From(keyless), kid);
        }

        var outcome = await recovery.RecoverAsync(entry, KidMissPath.IdToken, kid, received, failedSnapshot,
            keys => revocations?.IsRevoked(entry, kid, keys) == true
                ? Task.FromResult(new TokenValidationResult { IsValid = false, Exception = new SecurityTokenSignatureKeyNotFoundException("The kid is revoked.") })
                : inner.ValidateTokenAsync(jwt, Prepare(parameters.Clone(), keys, kid)), cancellationToken);
        return (outcome.Result, new ValidationRecord(outcome.Category, outcome.Recovered, outcome.Reason, kid, outcome.Refreshed,
            outcome.Refreshed ? outcome.Duration : null));
    }

    /// <summary>
    /// Kids of real OPs are printable ASCII (base64, base64url, hex, Cognito's <c>+/=</c>, LemonLDAP::NG's
    /// <c>./</c>). Control characters, spaces, non-ASCII, quotes, angle brackets, semicolons, backslashes and
    /// backticks mark an injection attempt, not a rotation: refused before any refresh. A kid is only ever
    /// compared, never used as a path or a URL, so <c>..</c> or <c>/</c> are ordinary characters here (LemonLDAP::NG
    /// draws its kids from <c>[A-Za-z0-9./]</c>: about one rotation in 450 yields a <c>..</c>).
    /// </summary>
    internal static bool IsWellFormedKid(string kid)
    {
        if (kid.Length is 0 or > MaxKidLength)
        {
            return false;
        }
        foreach (var c in kid)
        {
            if (c is < '!' or > '~' or '"' or '\'' or '\\' or '<' or '>' or ';' or '`')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Writes this provider's issuer, keys and algorithms onto <paramref name="p"/> and returns it.</summary>
    internal static TokenValidationParameters Prepare(TokenValidationParameters p, ProviderSnapshot snapshot, string? kid)
    {
        p.ConfigurationManager = null;
        p.ValidIssuer = snapshot.Issuer;
        p.ValidIssuers = null;
        // The provider's issuer rule decides (exact, or a {tenantid} template with the token's tid), here and in CheckWithoutKey.
        (p.IssuerValidator, p.IssuerValidatorUsingConfiguration) = (snapshot.IssuerRule.Validator, null);
        (p.IssuerSigningKeyValidator, p.IssuerSigningKeyValidatorUsingConfiguration) = (snapshot.KeyIssuerValidator, null);
        p.IssuerSigningKey = null;
        p.IssuerSigningKeys = snapshot.SigningKeys;
        p.IssuerSigningKeyResolver = null;
        p.ValidAlgorithms = snapshot.ValidAlgorithms;
        // A JWKS entry that names its algorithm verifies only that one (RFC 8725 §3.1).
        p.AlgorithmValidator = snapshot.AlgorithmValidator;
        p.RequireSignedTokens = true;
        p.RequireExpirationTime = true;
        p.ValidateIssuer = true;
        p.ValidateAudience = true;
        p.ValidateLifetime = true;
        // A token that names a kid is checked against that key only; kid-absent tokens try each key
        // (bounded by the JWKS key cap), as the OpenID RP tests expect.
        p.TryAllIssuerSigningKeys = kid is null;
        return p;
    }

    private static TokenValidationParameters WithClientSecret(TokenValidationParameters source, ProviderSnapshot snapshot, string? clientSecret)
    {
        var p = Prepare(source.Clone(), snapshot, kid: null); // the handler's own parameters stay as they were
        p.IssuerSigningKeys = [new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(clientSecret ?? ""))];
        return p;
    }

    /// <summary>
    /// Lifetime, audience and issuer as <see cref="JsonWebTokenHandler"/> checks them after the signature
    /// (same validators, same order, same exception types), or null when the token passes them.
    /// </summary>
    internal static Exception? CheckWithoutKey(JsonWebToken jwt, TokenValidationParameters p)
    {
        try
        {
            DateTime? expires = jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Exp, out _) ? jwt.ValidTo : null;
            DateTime? notBefore = jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Nbf, out _) ? jwt.ValidFrom : null;
            Validators.ValidateLifetime(notBefore, expires, jwt, p);
            Validators.ValidateAudience(jwt.Audiences, jwt, p);
            Validators.ValidateIssuer(jwt.Issuer, jwt, p);
            return null;
        }
#pragma warning disable CA1031 // as the token handler does: a failing validator (or an application's delegate) is a result
        catch (Exception e)
#pragma warning restore CA1031
        {
            return e;
        }
    }

    private static (TokenValidationResult, ValidationRecord) Fail(Exception exception, string category, string? reason, string? kid) =>
        Fail(new TokenValidationResult { IsValid = false, Exception = exception }, category, reason, kid);

    private static (TokenValidationResult, ValidationRecord) Fail(TokenValidationResult result, string category, string? reason, string? kid) =>
        (result, new ValidationRecord(category, false, reason, kid));
}
