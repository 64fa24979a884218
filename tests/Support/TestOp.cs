using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Tests.Support;

/// <summary>
/// A small OpenID Provider on Kestrel at 127.0.0.1 for pipeline tests: discovery, JWKS, an authorize
/// endpoint that approves at once (in the response mode asked, query by default), PAR when turned on, a token
/// endpoint checking client authentication (basic or post) and PKCE, userinfo, and
/// runtime key rotation. Counts requests per endpoint.
/// </summary>
public sealed partial class TestOp : IAsyncDisposable
{
    public const string ClientSecret = "op-client-secret-value-long-enough-for-hs512-0123456789abcdef0123";
    private readonly ConcurrentDictionary<string, Grant> _grants = new();
    private readonly ConcurrentDictionary<string, string> _accessTokens = new();
    private readonly ConcurrentDictionary<string, Dictionary<string, string>> _pushed = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, (int Status, int Remaining)> _faults = new();
    private WebApplication? _app;

    private sealed record Grant(string ClientId, string RedirectUri, string? Nonce, string Challenge, string Subject);

    public string Issuer { get; private set; } = "";

    public string ClientId { get; init; } = "rp-client";

    /// <summary>The client secret the token endpoint accepts (a secret rotation at the OP changes it).</summary>
    public string Secret { get; set; } = ClientSecret;

    /// <summary>Keys served in the JWKS.</summary>
    public List<TestSigningKey> Published { get; } = [];

    /// <summary>The key ID tokens are signed with (need not be published).</summary>
    public TestSigningKey? Signing { get; set; }

    public string NextSubject { get; set; } = "alice";

    /// <summary>When set, authorize answers with this OAuth error instead of a code.</summary>
    public string? AuthorizeError { get; set; }

    /// <summary>When set, the authorization response carries this <c>iss</c> (RFC 9207).</summary>
    public string? ResponseIss { get; set; }

    public bool JwksDown { get; set; }

    /// <summary>How long the JWKS and token endpoints wait before answering (a slow OP).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Replaces the token endpoint's JSON body (given the genuine one) with whatever it returns.</summary>
    public Func<string, string>? TokenResponseBody { get; set; }

    /// <summary>When set, ID tokens carry this nonce instead of the one the RP sent.</summary>
    public string? OverrideNonce { get; set; }

    /// <summary>When true, ID tokens are already expired.</summary>
    public bool IssueExpired { get; set; }

    public bool AdvertiseIssParameter { get; set; }

    /// <summary>
    /// Multi-tenant mode, shaped like Entra ID's <c>common</c>: discovery publishes <see cref="TemplateIssuer"/> and ID
    /// tokens are issued for <see cref="Tenant"/> (<c>iss</c> = <see cref="TenantIssuer"/>, <c>tid</c> = the tenant).
    /// </summary>
    public bool PublishIssuerTemplate { get; set; }

    /// <summary>The tenant ID tokens are issued for in multi-tenant mode.</summary>
    public string? Tenant { get; set; }

    /// <summary>This OP's issuer template: <c>{Issuer}/{tenantid}/v2.0</c>, as Entra ID's v2.0 endpoints.</summary>
    public string TemplateIssuer => Issuer + "/{tenantid}/v2.0";

    /// <summary>The issuer of one tenant in multi-tenant mode.</summary>
    public string TenantIssuer(string tenant) => $"{Issuer}/{tenant}/v2.0";

    private string TokenIssuer => PublishIssuerTemplate && Tenant is not null ? TenantIssuer(Tenant) : Issuer;

    /// <summary>What discovery advertises as <c>id_token_signing_alg_values_supported</c>.</summary>
    public string[] AdvertisedAlgorithms { get; set; } = ["RS256"];

    /// <summary>When set, builds each ID token (hostile tests craft headers and claims); the default signs a proper one.</summary>
    public Func<IdTokenRequest, string>? IdTokenFactory { get; set; }

    /// <summary>What discovery advertises as <c>code_challenge_methods_supported</c>; null: absent.</summary>
    public string[]? CodeChallengeMethods { get; set; } = ["S256"];

    /// <summary>What discovery advertises as <c>response_modes_supported</c>; null: the member is absent (query and fragment).</summary>
    public string[]? ResponseModes { get; set; } = ["query", "form_post"];

    /// <summary>What discovery advertises as <c>token_endpoint_auth_methods_supported</c>; null: absent (client_secret_basic).</summary>
    public string[]? AuthMethods { get; set; } = ["client_secret_basic", "client_secret_post"];

    /// <summary>When set, the token and PAR endpoints accept only this client authentication (<c>client_secret_basic</c> or <c>client_secret_post</c>).</summary>
    public string? RequireAuthMethod { get; set; }

    /// <summary>How the client authenticated at the token and PAR endpoints, in order (<c>client_secret_basic</c> or <c>client_secret_post</c>).</summary>
    public ConcurrentQueue<string> AuthMethodsUsed { get; } = new();

    /// <summary>Whether discovery advertises a pushed authorization request endpoint (RFC 9126), served at <c>/par</c>.</summary>
    public bool Par { get; set; }

    /// <summary>The parameters of each authorization request as the authorize endpoint received them (before resolving a request_uri).</summary>
    public ConcurrentQueue<Dictionary<string, string>> AuthorizeRequests { get; } = new();

    /// <summary>The parameters of each pushed authorization request (without the client secret).</summary>
    public ConcurrentQueue<Dictionary<string, string>> PushedRequests { get; } = new();

    /// <summary>When set, authorize answers in this mode whatever was asked (<c>form_post</c> or <c>query</c>).</summary>
    public string? AnswerMode { get; set; }

    /// <summary>When set, the userinfo answer carries this <c>sub</c> instead of the access token's subject.</summary>
    public string? UserInfoSubject { get; set; }

    /// <summary>Bytes of padding added to the userinfo answer.</summary>
    public int UserInfoPadding { get; set; }

    /// <summary>When true, userinfo answers with a signed JWT (<c>application/jwt</c>).</summary>
    public bool UserInfoAsJwt { get; set; }

    /// <summary>When set, userinfo answers with this status and no body.</summary>
    public int? UserInfoStatus { get; set; }

    /// <summary>Claims the userinfo endpoint adds beside <c>sub</c> (OIDC Core §5.3.2).</summary>
    public Dictionary<string, object?> UserInfoClaims { get; } = [];

    /// <summary>Requests to <c>/evil/*</c>: a key URL a hostile token points at (jku, x5u). OidcRp must never fetch it.</summary>
    public int EvilFetches => Count("evil");

    public string EvilUrl => Issuer + "/evil/keys";

    /// <summary>Every code, nonce and state this OP issued or saw: none may appear in the RP's output.</summary>
    public ConcurrentBag<string> Secrets { get; } = [];

    public int Count(string endpoint) => _counts.GetValueOrDefault(endpoint);

    /// <summary>
    /// The next <paramref name="times"/> requests to <paramref name="endpoint"/> (<c>discovery</c>, <c>jwks</c>,
    /// <c>token</c>) are answered with <paramref name="status"/> and an empty body; they are still counted.
    /// </summary>
    public void FailNext(string endpoint, int status, int times = 1) => _faults[endpoint] = (status, times);

    /// <summary><c>GET /status/{code}</c> answers with that status, counted as <c>status</c> (a target for a control client).</summary>
    public string StatusUrl(int status) => $"{Issuer}/status/{status}";

    /// <summary>This OP as an RP registration under <paramref name="id"/>.</summary>
    public RpProvider As(string id) => new(id, Issuer, ClientId, ClientSecret);

    public static async Task<TestOp> StartAsync(string clientId = "rp-client")
    {
        var op = new TestOp { ClientId = clientId };
        var key = TestSigningKey.Create("op-key-1");
        op.Published.Add(key);
        op.Signing = key;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", op.Discovery);
        app.MapGet("/jwks", op.Jwks);
        app.MapGet("/authorize", op.Authorize);
        app.MapPost("/token", op.TokenAsync);
        app.MapPost("/par", op.PushAsync);
        app.MapGet("/userinfo", op.UserInfo);
        app.MapGet("/evil/{**rest}", () => { op.Hit("evil"); return Results.Json(new { keys = Array.Empty<object>() }); });
        app.MapGet("/logout", () => Results.Text("signed out at the OP"));
        app.MapGet("/status/{code:int}", (int code) => { op.Hit("status"); return Results.StatusCode(code); });
        await app.StartAsync();
        op._app = app;
        op.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return op;
    }

    /// <summary>Rotates: a new key signs from now on; the old one stays published, is dropped, or (stage) the new one is only published.</summary>
    public TestSigningKey Rotate(string kid, TestOpRotation mode)
    {
        var next = TestSigningKey.Create(kid);
        lock (Published)
        {
            RotateUnderLock(next, mode);
        }
        return next;
    }

    private void RotateUnderLock(TestSigningKey next, TestOpRotation mode)
    {
        switch (mode)
        {
            case TestOpRotation.KeepOld:
                Published.Add(next);
                Signing = next;
                break;
            case TestOpRotation.DropOld:
                Published.Clear();
                Published.Add(next);
                Signing = next;
                break;
            case TestOpRotation.Stage:
                Published.Add(next);
                break;
        }
    }

    private void Hit(string endpoint) => _counts.AddOrUpdate(endpoint, 1, (_, n) => n + 1);

    /// <summary>Counts the request and, when a fault is armed for the endpoint, takes one and returns its status.</summary>
    private IResult? HitOrFault(string endpoint)
    {
        Hit(endpoint);
        while (_faults.TryGetValue(endpoint, out var fault) && fault.Remaining > 0)
        {
            if (_faults.TryUpdate(endpoint, (fault.Status, fault.Remaining - 1), fault))
            {
                return Results.StatusCode(fault.Status);
            }
        }
        return null;
    }

    private IResult Discovery()
    {
        if (HitOrFault("discovery") is { } fault)
        {
            return fault;
        }
        var document = new Dictionary<string, object>
        {
            ["issuer"] = PublishIssuerTemplate ? TemplateIssuer : Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["end_session_endpoint"] = Issuer + "/logout",
            ["userinfo_endpoint"] = Issuer + "/userinfo",
            ["response_types_supported"] = new[] { "code" },
            ["id_token_signing_alg_values_supported"] = AdvertisedAlgorithms,
            ["authorization_response_iss_parameter_supported"] = AdvertiseIssParameter,
        };
        if (CodeChallengeMethods is { } pkce)
        {
            document["code_challenge_methods_supported"] = pkce;
        }
        if (ResponseModes is { } modes)
        {
            document["response_modes_supported"] = modes;
        }
        if (AuthMethods is { } methods)
        {
            document["token_endpoint_auth_methods_supported"] = methods;
        }
        if (Par)
        {
            document["pushed_authorization_request_endpoint"] = Issuer + "/par";
        }
        return Results.Json(document);
    }

    private async Task<IResult> Jwks(CancellationToken aborted)
    {
        if (HitOrFault("jwks") is { } fault)
        {
            return fault;
        }
        await Task.Delay(Delay, aborted);
        if (JwksDown)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        string body;
        lock (Published) // a rotation may run while logins go on (the rotation-storm benchmark)
        {
            body = TestSigningKey.Jwks(Published);
        }
        return Results.Text(body, "application/json");
    }

    private IResult Authorize(HttpRequest request)
    {
        Hit("authorize");
        var q = request.Query.ToDictionary(p => p.Key, p => p.Value.ToString());
        AuthorizeRequests.Enqueue(q);
        if (q.TryGetValue("request_uri", out var requestUri))
        {
            // RFC 9126 §4: the pushed parameters, once, for the client that pushed them.
            if (!_pushed.TryRemove(requestUri, out var pushed) || pushed["client_id"] != q.GetValueOrDefault("client_id"))
            {
                return Results.BadRequest("bad request_uri");
            }
            q = pushed;
        }
        string redirectUri = q["redirect_uri"], state = q["state"];
        Secrets.Add(state);
        if (q.TryGetValue("nonce", out var n))
        {
            Secrets.Add(n);
        }
        var fields = new Dictionary<string, string> { ["state"] = state };
        if (AuthorizeError is { } error)
        {
            fields["error"] = error;
            fields["error_description"] = "The user said no. op-error-description-sentinel";
        }
        else
        {
            if (q.GetValueOrDefault("client_id") != ClientId || q.GetValueOrDefault("response_type") != "code" || q.GetValueOrDefault("code_challenge_method") != "S256")
            {
                return Results.BadRequest("bad authorize request");
            }
            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            Secrets.Add(code);
            _grants[code] = new Grant(q["client_id"], redirectUri, q.GetValueOrDefault("nonce"), q["code_challenge"], NextSubject);
            fields["code"] = code;
        }
        if ((ResponseIss ?? (AdvertiseIssParameter ? TokenIssuer : null)) is { } iss)
        {
            fields["iss"] = iss;
        }
        if ((AnswerMode ?? q.GetValueOrDefault("response_mode") ?? "query") != "form_post")
        {
            // Multiple Response Types §2.1: query, the code flow's default.
            return Results.Redirect(redirectUri + (redirectUri.Contains('?', StringComparison.Ordinal) ? "&" : "?")
                + string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")));
        }
        var html = new StringBuilder($"<html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{HtmlEncoder.Default.Encode(redirectUri)}\">");
        foreach (var (name, value) in fields)
        {
            html.Append($"<input type=\"hidden\" name=\"{name}\" value=\"{HtmlEncoder.Default.Encode(value)}\"/>");
        }
        return Results.Content(html.Append("</form></body></html>").ToString(), "text/html");
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        if (HitOrFault("token") is { } fault)
        {
            return fault;
        }
        await Task.Delay(Delay, request.HttpContext.RequestAborted);
        var form = await request.ReadFormAsync();
        if (Authenticate(request, form) is { } refused)
        {
            return refused;
        }
        if (form["grant_type"] != "authorization_code" || !_grants.TryRemove(form["code"].ToString(), out var grant)
            || grant.RedirectUri != form["redirect_uri"])
        {
            return Results.Json(new { error = "invalid_grant", error_description = "op-token-error-sentinel" }, statusCode: 400);
        }
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
        if (challenge != grant.Challenge)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "pkce" }, statusCode: 400);
        }
        var tenantClaims = PublishIssuerTemplate && Tenant is not null ? new Dictionary<string, object> { ["tid"] = Tenant } : null;
        var idToken = IdTokenFactory is { } factory ? factory(new IdTokenRequest(TokenIssuer, ClientId, grant.Subject, OverrideNonce ?? grant.Nonce, Signing!, PublishIssuerTemplate ? Tenant : null)) : IssueExpired
            ? Signing!.CreateIdToken(TokenIssuer, ClientId, grant.Subject, OverrideNonce ?? grant.Nonce, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20), extraClaims: tenantClaims)
            : Signing!.CreateIdToken(TokenIssuer, ClientId, grant.Subject, OverrideNonce ?? grant.Nonce, extraClaims: tenantClaims);
        var accessToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        _accessTokens[accessToken] = grant.Subject;
        Secrets.Add(idToken);
        Secrets.Add(accessToken);
        Secrets.Add(form["code_verifier"].ToString());
        var body = System.Text.Json.JsonSerializer.Serialize(new { access_token = accessToken, token_type = "Bearer", expires_in = 300, id_token = idToken });
        return Results.Text(TokenResponseBody is { } replace ? replace(body) : body, "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        foreach (var key in Published)
        {
            key.Dispose();
        }
    }
}

public enum TestOpRotation
{
    KeepOld,
    DropOld,
    Stage,
}

/// <summary>What the test OP knows when it issues an ID token.</summary>
public sealed record IdTokenRequest(string Issuer, string ClientId, string Subject, string? Nonce, TestSigningKey Signing, string? Tenant = null)
{
    /// <summary>The claims of a proper ID token for this request, to be altered by a test.</summary>
    public Dictionary<string, object?> Claims()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object?>
        {
            ["iss"] = Issuer, ["aud"] = ClientId, ["sub"] = Subject, ["iat"] = now, ["nbf"] = now - 5, ["exp"] = now + 300,
        };
        if (Nonce is not null)
        {
            claims["nonce"] = Nonce;
        }
        if (Tenant is not null)
        {
            claims["tid"] = Tenant;
        }
        return claims;
    }

    /// <summary>The header of a proper ID token: RS256 and the signing key's kid.</summary>
    public Dictionary<string, object?> Header() => new() { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = Signing.Kid };
}
