using OidcRp.Tests.Support;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Callback;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Support;

/// <summary>The registry, refresher and validator wired to a fake clock and a counting HTTP handler.</summary>
internal sealed class RefresherHarness : IDisposable
{
    public const string ClientId = "client-1";

    private readonly ServiceProvider _metricsServices;
    private readonly ILoggerFactory _loggerFactory;
    private readonly OidcRpHttp _http;

    public RefresherHarness(Action<OidcKeyPolicyOptions>? policy = null, int initialKeys = 1)
    {
        for (var i = 0; i < initialKeys; i++)
        {
            Op.Published.Add(TestSigningKey.Create($"key-{i + 1}"));
        }
        Options.Providers["test"] = new OidcProviderOptions { Id = "test", Authority = Op.Issuer, ClientId = ClientId, ClientSecret = "s3cr3t-value" };
        policy?.Invoke(Options.Keys);

        _http = new OidcRpHttp(Op);
        _metricsServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(Logs)).SetMinimumLevel(LogLevel.Trace));

        var options = Microsoft.Extensions.Options.Options.Create(Options);
        Refresher = new KeyRefresher(new MetadataFetcher(_http), options, Time, _loggerFactory.CreateLogger<KeyRefresher>(),
            new OidcRpMetrics(_metricsServices.GetRequiredService<IMeterFactory>()));
        Registry = new OidcProviderRegistry(options);
        Recovery = new KidMissRecovery(Refresher, Time);
        Validator = new RecoveringTokenValidator(Refresher, Recovery, Time, _loggerFactory.CreateLogger<RecoveringTokenValidator>());
    }

    public FakeOpHttpHandler Op { get; } = new();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public FakeLogCollector Logs { get; } = new();

    public OidcRpOptions Options { get; } = new();

    public KeyRefresher Refresher { get; }

    public OidcProviderRegistry Registry { get; }

    public KidMissRecovery Recovery { get; }

    public RecoveringTokenValidator Validator { get; }

    public ProviderEntry Entry => Registry.GetRequired("test");

    public TestSigningKey Key(int index) => Op.Published[index];

    public async Task LoadAsync()
    {
        var result = await Refresher.EnsureLoadedAsync(Entry, CancellationToken.None);
        Assert.Equal(RefreshStatus.Refreshed, result.Status);
    }

    /// <summary>Publishes a new key (optionally dropping the old ones) and returns it.</summary>
    public TestSigningKey Rotate(string kid, bool dropOld = false)
    {
        if (dropOld)
        {
            Op.Published.Clear();
        }
        var key = TestSigningKey.Create(kid);
        Op.Published.Add(key);
        return key;
    }

    public string Token(TestSigningKey key, string? kid = null, DateTime? expires = null, string audience = ClientId, string? issuer = null) =>
        key.CreateIdToken(issuer ?? Op.Issuer, audience, kid: kid, expires: expires);

    public Task<(TokenValidationResult Result, ValidationRecord Record)> ValidateAsync(string token, CancellationToken cancellationToken = default) =>
        Validator.ValidateAsync(Entry, new JsonWebTokenHandler { MapInboundClaims = false }, token,
            new TokenValidationParameters { ValidAudience = ClientId }, cancellationToken);

    /// <summary>The kid-miss rule alone, with a verifier that accepts whenever the kid is in the keys it is given.</summary>
    public Task<KidMissOutcome> MissAsync(string kid, CancellationToken cancellationToken = default, KidMissPath path = KidMissPath.IdToken,
        long? receivedAfter = null, ProviderSnapshot? failedSnapshot = null) =>
        Recovery.RecoverAsync(Entry, path, kid, receivedAfter ?? KeyRefresher.StartedSequence(Entry), failedSnapshot ?? Entry.Snapshot!,
            keys => Task.FromResult(new TokenValidationResult { IsValid = keys.HasKid(kid) }), cancellationToken);

    public void Dispose()
    {
        Refresher.Dispose();
        _http.Dispose();
        _metricsServices.Dispose();
        _loggerFactory.Dispose();
        foreach (var key in Op.Published)
        {
            key.Dispose();
        }
    }
}
