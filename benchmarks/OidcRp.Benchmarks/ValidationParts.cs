using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Callback;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>The parts of OidcRp's validation path one by one: where its time above the token handler's goes.</summary>
[MemoryDiagnoser]
public class ValidationPartsBenchmarks
{
    private const string Issuer = "https://op.bench.example";
    private const string ClientId = "bench-client";
    private readonly JsonWebTokenHandler _handler = new();
    private readonly string[] _algorithms = ["RS256"];
    private TestSigningKey _key = null!;
    private string _token = null!;
    private JsonWebToken _jwt = null!;
    private List<SecurityKey> _keys = null!;
    private TokenValidationParameters _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = TestSigningKey.Create("bench-key-2");
        _token = _key.CreateIdToken(Issuer, ClientId, "alice", nonce: "n-0S6_WzA2Mj", expires: DateTime.UtcNow.AddDays(1));
        _jwt = _handler.ReadJsonWebToken(_token);
        _keys = [new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = "bench-key-2" }];
        _parameters = new TokenValidationParameters { ValidAudience = ClientId, ValidIssuer = Issuer, IssuerSigningKeys = _keys };
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public JsonWebToken Parse() => _handler.ReadJsonWebToken(_token);

    [Benchmark]
    public string? HeaderRules() => IdTokenRules.CheckHeader(_jwt, _algorithms);

    [Benchmark]
    public string? ClaimRules() => IdTokenRules.CheckClaims(_jwt, ClientId, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);

    [Benchmark]
    public bool KidRules() => RecoveringTokenValidator.IsWellFormedKid("bench-key-2");

    [Benchmark]
    public Exception? KeyFreeChecks() => RecoveringTokenValidator.CheckWithoutKey(_jwt, _parameters);

    [Benchmark]
    public TokenValidationParameters ParametersClone() => _parameters.Clone();

    /// <summary>The breakdown table for the report.</summary>
    internal static string Section(bool smoke)
    {
        var results = Bdn.Results(Bdn.Run<ValidationPartsBenchmarks>(smoke));
        var text = new StringBuilder();
        text.AppendLine("Where OidcRp's time goes, part by part (BenchmarkDotNet, same job; the parse is also inside `JsonWebTokenHandler`, the")
            .AppendLine("rules and the key-free checks are OidcRp's own; a parameter clone happens only on the recovery path):").AppendLine();
        text.AppendLine("| part | median ns | p10–p90 ns | allocated B/op |").AppendLine("|---|---|---|---|");
        foreach (var (method, label) in new[]
        {
            (nameof(Parse), "parse (`ReadJsonWebToken`)"),
            (nameof(HeaderRules), "header rules (alg, typ, crit, embedded keys)"),
            (nameof(ClaimRules), "claim rules (sub, iat, azp: one reader pass over the payload)"),
            (nameof(KidRules), "kid shape and key/alg binding"),
            (nameof(KeyFreeChecks), "key-free lifetime, audience, issuer (kid-miss path only)"),
            (nameof(ParametersClone), "one `TokenValidationParameters.Clone()`"),
        })
        {
            var (t, alloc) = results[method];
            text.AppendLine($"| {label} | {F(t.Median, "0")} | {F(t.P10, "0")}–{F(t.P90, "0")} | {alloc?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} |");
        }
        return text.AppendLine().ToString();
    }
}
