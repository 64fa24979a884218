using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging;
using OidcRp.Tests.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The callback under a fuzz run through the real pipeline, with a fixed budget (a tenth of
/// <c>OIDCRP_FUZZ_INPUTS</c>, default 1,000 requests): authorization responses built from genuine and
/// hostile parts (codes and states of real pending logins, mutated or swapped, random text, repeated or
/// unknown parameters, other transports and cookies). No request gets a 5xx or an unhandled exception,
/// no code is redeemed twice, and nothing answered holds a secret of the flow.
/// </summary>
public sealed class CallbackFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly HttpClient Raw = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });

    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _op.AdvertiseIssParameter = true;
        _rp = await RpApp.StartAsync([_op.As("alpha"), _op.As("beta")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    /// <summary>A drawn parameter value: a login's own field, another login's, text, or a login's field altered.</summary>
    private sealed record Value(string Kind, int Login, string Field, string Text)
    {
        public string Resolve(IReadOnlyList<PendingCallback> pending) => Kind switch
        {
            "text" => Text,
            "mutated" => pending[Login].Fields[Field] is { Length: > 4 } v ? v[..^2] + "zz" : pending[Login].Fields[Field],
            _ => pending[Login].Fields[Field],
        };

        public override string ToString() => $"{Kind}:{Login}:{Field}:{Text}";
    }

    private sealed record Input(int Login, string Method, string Provider, IReadOnlyList<(string Name, Value Value)> Fields, int Cookies, string ContentType)
    {
        /// <summary>The draw as text, for the input hash: values of pending logins by reference, never the run's codes or states.</summary>
        public string Canonical => $"{Login}|{Method}|{Provider}|{Cookies}|{ContentType}|{string.Join("&", Fields.Select(f => f.Name + "=" + f.Value))}";
    }

    [Fact]
    public async Task Fuzzed_callbacks_never_fail_with_a_server_error_or_redeem_a_code_twice()
    {
        var budget = Math.Max(100, FuzzInputs.Budget(10_000) / 10);
        var browsers = new List<BrowserClient>();
        var pending = new List<PendingCallback>();
        for (var i = 0; i < 20; i++)
        {
            browsers.Add(_rp.Browser());
            pending.Add(await browsers[i].BeginLoginAsync(i % 2 == 0 ? "alpha" : "beta"));
        }
        var statuses = new Dictionary<int, int>();
        var run = FuzzRun.Start(nameof(Fuzzed_callbacks_never_fail_with_a_server_error_or_redeem_a_code_twice), budget);
        var inputs = Inputs(pending.Count, [.. pending[0].Fields.Keys]).Sample(run.Budget, run.Random, 30);

        await run.RunAsync(FuzzRun.HashOf(inputs.Select(i => i.Canonical)), output.WriteLine, async () =>
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var input = inputs[i];
                var login = pending[input.Login];
                using var response = await SendAsync(input, pending, browsers[input.Login]);
                var body = await response.Content.ReadAsStringAsync();
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                Assert.True((int)response.StatusCode < 500, $"draw {i}: {(int)response.StatusCode} for {input.Canonical}");
                Assert.DoesNotContain(login.Fields["code"], body, StringComparison.Ordinal);
                Assert.DoesNotContain(login.Fields["state"], body, StringComparison.Ordinal);
            }

            var codes = pending.Count;
            Assert.InRange(_op.Count("token"), 0, codes); // each genuine code at most once
            Assert.DoesNotContain(_rp.Logs.GetSnapshot(), r => r.Level >= LogLevel.Error && r.Exception is not null);
            // The fuzzer itself puts genuine states in some URLs, which the host's request log writes: OidcRp's own output is scanned.
            Sentinels.AssertNoneOf(Sentinels.Of(_op), [.. Sentinels.OwnLogs(_rp).Select(r => r.Message + " " + r.Exception), .. _rp.Audit.Rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r))]);
            Assert.All(_rp.Audit.Rows, r => Assert.True(r.Reason is null || OidcRp.Audit.OidcRpReasons.All.Contains(r.Reason), $"reason {r.Reason} is not in OidcRpReasons"));
            output.WriteLine($"fuzz: {budget} callbacks tried over {codes} pending logins; {_op.Count("token")} codes redeemed; "
                + $"{_op.Count("jwks")} JWKS fetches; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        });
        browsers.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task A_genuine_code_sent_as_the_error_is_recorded_as_idp_error_other_and_written_nowhere()
    {
        // The case a fresh clone's run once failed on: the fuzzer put a pending login's code into error=, and the
        // audit reason carried it ("idp_error:<the code>") into a log line. Error codes now come from a fixed list.
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        var fields = new Dictionary<string, string> { ["state"] = pending.Fields["state"], ["error"] = pending.Fields["code"], ["iss"] = pending.Fields["iss"] };

        using var response = await browser.FinishLoginAsync(pending with { Fields = fields });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcRp.Audit.OidcAuditCategories.CallbackRejected, "idp_error:other"), (row.Category, row.Reason));
        Assert.Equal(0, _op.Count("token"));
        Sentinels.AssertNoneOf([pending.Fields["code"]], [.. Sentinels.OwnLogs(_rp).Select(r => r.Message + " " + r.Exception), .. _rp.Audit.Rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r))]);
    }

    [Theory]
    [InlineData("access_denied")]
    [InlineData("login_required")]
    [InlineData("temporarily_unavailable")]
    public async Task A_registered_error_code_is_kept_in_the_reason(string error)
    {
        _op.AuthorizeError = error;
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("idp_error:" + error, Assert.Single(_rp.Audit.Rows).Reason);
    }

    private static Gen<Input> Inputs(int logins, IReadOnlyList<string> fieldNames)
    {
        var names = Gen.Frequency(
            (8, Gen.Elements("code", "state", "iss")),
            (2, Gen.Elements("error", "error_description", "session_state", "id_token", "response", "scope", "code_verifier")),
            (1, FuzzInputs.Text.Select(t => t.Length == 0 ? "x" : t)));
        var field = Gen.Elements(fieldNames.ToArray());
        Gen<Value> Value(int login) => Gen.Frequency(
            (5, field.Select(f => new Value("own", login, f, ""))),
            (2, from other in Gen.Choose(0, logins - 1) from f in field select new Value("any", other, f, "")),
            (2, FuzzInputs.Text.Select(t => new Value("text", 0, "", t))),
            (1, field.Select(f => new Value("mutated", login, f, ""))));
        Gen<IReadOnlyList<(string, Value)>> Fields(int login) =>
            from genuine in Gen.Elements(true, true, false)
            from extra in Gen.ListOf(from n in names from v in Value(login) select (n, v))
            select (IReadOnlyList<(string, Value)>)(genuine ? [.. fieldNames.Select(f => (f, new Value("own", login, f, ""))), .. extra.Take(6)] : [.. extra.Take(12)]);
        return from login in Gen.Choose(0, logins - 1)
               from method in Gen.Frequency((8, Gen.Constant("POST")), (2, Gen.Constant("GET")))
               from provider in Gen.Frequency((8, Gen.Constant(login % 2 == 0 ? "alpha" : "beta")), (1, Gen.Elements("alpha", "beta", "gamma", "..%2Falpha")))
               from fields in Fields(login)
               from cookies in Gen.Elements(0, 0, 0, 1, 2)
               from contentType in Gen.Elements("application/x-www-form-urlencoded", "application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data; boundary=x")
               select new Input(login, method, provider, fields, cookies, contentType);
    }

    private async Task<HttpResponseMessage> SendAsync(Input input, IReadOnlyList<PendingCallback> pending, BrowserClient browser)
    {
        var login = pending[input.Login];
        var encoded = string.Join('&', input.Fields.Select(f => $"{Uri.EscapeDataString(f.Name)}={Uri.EscapeDataString(f.Value.Resolve(pending))}"));
        var path = $"{_rp.BaseUrl}/auth/oidc/{input.Provider}/callback";
        using var request = input.Method == "GET"
            ? new HttpRequestMessage(HttpMethod.Get, path + "?" + encoded)
            : new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(encoded, Encoding.UTF8) };
        if (request.Content is not null)
        {
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType);
        }
        var cookies = browser.Cookies.Header(new Uri(login.Action));
        var header = input.Cookies switch
        {
            0 => cookies,
            1 => null,
            _ => cookies?.Replace('A', 'B'),
        };
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", header);
        }
        return await Raw.SendAsync(request);
    }
}
