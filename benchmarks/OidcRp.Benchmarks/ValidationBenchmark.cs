using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Callback;
using OidcRp.Diagnostics;
using OidcRp.Providers;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// Token validation with the keys cached: OidcRp's path (<see cref="RecoveringTokenValidator"/> with
/// <see cref="IdTokenRules"/>) against <see cref="JsonWebTokenHandler"/> alone with the same keys and token,
/// and against the bare RSA verification of the same signature. Also what a forged kid costs: OidcRp's
/// throttled path against parsing the token.
/// </summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private const string ClientId = "bench-client";
    private InMemoryOp _op = null!;
    private KeyRefresher _refresher = null!;
    private ServiceProvider _services = null!;
    private RecoveringTokenValidator _validator = null!;
    private ProviderEntry _entry = null!;
    private ProviderEntry _floodEntry = null!;
    private JsonWebTokenHandler _oidcRpInner = null!;
    private JsonWebTokenHandler _stock = null!;
    private TokenValidationParameters _handlerParameters = null!;
    private TokenValidationParameters _stockParameters = null!;
    private string _token = null!;
    private string _forged = null!;
    private RSA _rsa = null!;
    private byte[] _signingInput = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _op = new InMemoryOp();
        for (var i = 1; i <= 3; i++)
        {
            _op.Published.Add(TestSigningKey.Create($"bench-key-{i}"));
        }
        var options = new OidcRpOptions();
        options.Providers["bench"] = new OidcProviderOptions { Id = "bench", Authority = _op.Issuer, ClientId = ClientId };
        options.Providers["flood"] = new OidcProviderOptions { Id = "flood", Authority = _op.Issuer, ClientId = ClientId };
        options.Keys.KidMissWindow = TimeSpan.FromHours(1); // the forged-kid case stays refused for the whole run
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _refresher = new KeyRefresher(new MetadataFetcher(new OidcRpHttp(_op)), wrapped, TimeProvider.System, NullLogger<KeyRefresher>.Instance,
            new OidcRpMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        var registry = new OidcProviderRegistry(wrapped);
        _entry = registry.GetRequired("bench");
        _floodEntry = registry.GetRequired("flood");
        _validator = new RecoveringTokenValidator(_refresher, new KidMissRecovery(_refresher, TimeProvider.System), TimeProvider.System, NullLogger<RecoveringTokenValidator>.Instance);
        var snapshot = (await _refresher.EnsureLoadedAsync(_entry, CancellationToken.None)).Snapshot!;
        await _refresher.EnsureLoadedAsync(_floodEntry, CancellationToken.None);

        var key = _op.Published[1];
        _token = key.CreateIdToken(_op.Issuer, ClientId, "alice", nonce: "n-0S6_WzA2Mj", expires: DateTime.UtcNow.AddDays(1));
        using var attacker = TestSigningKey.Create("attacker");
        _forged = attacker.CreateIdToken(_op.Issuer, ClientId, "alice", expires: DateTime.UtcNow.AddDays(1), kid: "forged-" + Guid.NewGuid().ToString("N"));

        // What the stock handler hands its TokenHandler: its options' parameters with issuer and keys from the configuration.
        _handlerParameters = new TokenValidationParameters
        {
            ValidAudience = ClientId, NameClaimType = "name", RoleClaimType = "roles",
            ValidIssuer = snapshot.Issuer, IssuerSigningKeys = snapshot.SigningKeys,
        };
        _stockParameters = _handlerParameters.Clone();
        _oidcRpInner = new JsonWebTokenHandler { MapInboundClaims = false };
        _stock = new JsonWebTokenHandler { MapInboundClaims = false };

        var dot = _token.LastIndexOf('.');
        _signingInput = Encoding.ASCII.GetBytes(_token[..dot]);
        _signature = Base64UrlEncoder.DecodeBytes(_token[(dot + 1)..]);
        _rsa = RSA.Create();
        _rsa.ImportParameters(key.Rsa.ExportParameters(false));

        // Every path must do what it claims before it is timed.
        if (!(await OidcRpValidator()).IsValid || !(await JsonWebTokenHandlerAlone()).IsValid || !RawRsaVerify())
        {
            throw new InvalidOperationException("the benchmark token does not validate");
        }
        await _validator.ValidateAsync(_floodEntry, _oidcRpInner, _forged, _handlerParameters, CancellationToken.None); // looks the kid up once: from then on it is remembered as missing
        var (forged, record) = await _validator.ValidateAsync(_floodEntry, _oidcRpInner, _forged, _handlerParameters, CancellationToken.None);
        if (forged.IsValid || record.Category != Audit.OidcAuditCategories.KidMismatchThrottled)
        {
            throw new InvalidOperationException($"the forged token was not throttled: {record.Category}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _refresher.Dispose();
        _services.Dispose();
        _rsa.Dispose();
        foreach (var key in _op.Published)
        {
            key.Dispose();
        }
        _op.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<TokenValidationResult> JsonWebTokenHandlerAlone() => _stock.ValidateTokenAsync(_token, _stockParameters);

    [Benchmark]
    public async Task<TokenValidationResult> OidcRpValidator() =>
        (await _validator.ValidateAsync(_entry, _oidcRpInner, _token, _handlerParameters, CancellationToken.None)).Result;

    [Benchmark]
    public bool RawRsaVerify() => _rsa.VerifyData(_signingInput, _signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public JsonWebToken ForgedParseOnly() => _oidcRpInner.ReadJsonWebToken(_forged);

    [Benchmark]
    public async Task<TokenValidationResult> OidcRpForgedKid() =>
        (await _validator.ValidateAsync(_floodEntry, _oidcRpInner, _forged, _handlerParameters, CancellationToken.None)).Result;

    [Benchmark]
    public Task<TokenValidationResult> JsonWebTokenHandlerForgedKid() => _stock.ValidateTokenAsync(_forged, _stockParameters);
}

/// <summary>Runs <see cref="ValidationBenchmarks"/> and writes its section of the report.</summary>
internal static class ValidationBenchmark
{
    public static string Run(bool smoke)
    {
        var results = Bdn.Results(Bdn.Run<ValidationBenchmarks>(smoke));
        var oidcRp = results[nameof(ValidationBenchmarks.OidcRpValidator)];
        var stock = results[nameof(ValidationBenchmarks.JsonWebTokenHandlerAlone)];
        var ratio = oidcRp.Time.Median / stock.Time.Median;
        var text = new StringBuilder();
        text.AppendLine("## 1. Token validation, keys cached").AppendLine();
        text.AppendLine("BenchmarkDotNet (in-process toolchain, MemoryDiagnoser), " + (smoke ? "smoke job (one cold iteration: numbers mean nothing)" : "3 warm-up and 15 measured iterations of 250 ms")
            + ". One RS256 ID token (2048-bit key, the middle one of a 3-key JWKS), validated with the same key objects by:")
            .AppendLine("OidcRp's `RecoveringTokenValidator` (header and claim rules, kid check, then `JsonWebTokenHandler` with OidcRp's parameters);")
            .AppendLine("`JsonWebTokenHandler.ValidateTokenAsync` alone with the parameters the stock handler passes; and `RSA.VerifyData` of the")
            .AppendLine("same signing input and signature (the floor: no parsing, no claims). Spread is over the measured iterations.").AppendLine();
        text.Append(Bdn.Table(results, nameof(ValidationBenchmarks.JsonWebTokenHandlerAlone),
            (nameof(ValidationBenchmarks.OidcRpValidator), "OidcRp `RecoveringTokenValidator`"),
            (nameof(ValidationBenchmarks.JsonWebTokenHandlerAlone), "`JsonWebTokenHandler` alone"),
            (nameof(ValidationBenchmarks.RawRsaVerify), "`RSA.VerifyData` (floor)")));
        text.AppendLine().AppendLine($"Target OidcRp ≤ 1.05× `JsonWebTokenHandler`: {F(ratio, "0.00")}× → {Verdict.Met(ratio <= 1.05)}; "
            + $"OidcRp allocates {oidcRp.Allocated:N0} B per token against {stock.Allocated:N0} B.").AppendLine();
        text.Append(ValidationPartsBenchmarks.Section(smoke));
        text.AppendLine("A forged token (unknown kid, signed by another key) whose kid was looked up moments ago, for §4: OidcRp answers")
            .AppendLine("`kid_mismatch_throttled` without any signature work.").AppendLine();
        text.Append(ForgedSection(results)).AppendLine();
        return text.ToString();
    }

    private static string ForgedSection(Dictionary<string, (Stats Time, long? Allocated)> results) =>
        Bdn.Table(results, nameof(ValidationBenchmarks.ForgedParseOnly),
            (nameof(ValidationBenchmarks.OidcRpForgedKid), "OidcRp, forged kid already looked up"),
            (nameof(ValidationBenchmarks.ForgedParseOnly), "parse only (`ReadJsonWebToken`)"),
            (nameof(ValidationBenchmarks.JsonWebTokenHandlerForgedKid), "`JsonWebTokenHandler` alone, forged kid"),
            (nameof(ValidationBenchmarks.RawRsaVerify), "one `RSA.VerifyData` (for scale)"));
}
