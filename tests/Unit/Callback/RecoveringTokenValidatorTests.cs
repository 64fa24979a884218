using OidcRp.Tests.Support;
using System.Net;
using OidcRp.Audit;
using OidcRp.Providers;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Callback;

public sealed class RecoveringTokenValidatorTests : IDisposable
{
    private readonly RefresherHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Known_kid_verifies_with_cached_keys_and_fetches_nothing_more()
    {
        await _h.LoadAsync();

        var (result, record) = await _h.ValidateAsync(_h.Token(_h.Key(0)));

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, record.Category);
        Assert.Equal((1, 1), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task Rotated_key_is_recovered_with_exactly_one_jwks_fetch()
    {
        await _h.LoadAsync();
        var next = _h.Rotate("key-2");

        var (result, record) = await _h.ValidateAsync(_h.Token(next));

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        Assert.True(record.KeysRefreshed);
        Assert.Equal("key-2", record.Kid);
        Assert.Equal(2, _h.Op.JwksRequests);
        Assert.Equal(1, _h.Op.DiscoveryRequests); // a kid miss re-reads the key set only
    }

    [Fact]
    public async Task Rotation_that_drops_the_old_key_is_recovered_and_old_tokens_then_fail_plainly()
    {
        await _h.LoadAsync();
        var old = _h.Key(0);
        var next = _h.Rotate("key-2", dropOld: true);

        var (recovered, record) = await _h.ValidateAsync(_h.Token(next));
        var (_, oldRecord) = await _h.ValidateAsync(_h.Token(old));
        var (_, oldAgain) = await _h.ValidateAsync(_h.Token(old));

        Assert.True(recovered.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        // The dropped kid is a kid the snapshot lacks like any other: looked up once, then remembered as missing.
        Assert.Equal((OidcAuditCategories.KidMismatchUnrecovered, "kid_not_found"), (oldRecord.Category, oldRecord.Reason));
        Assert.Equal((OidcAuditCategories.KidMismatchThrottled, "kid_recently_looked_up"), (oldAgain.Category, oldAgain.Reason));
        Assert.Equal(3, _h.Op.JwksRequests);
        old.Dispose();
    }

    [Fact]
    public async Task Kid_still_unknown_after_the_refresh_is_unrecovered_with_one_fetch()
    {
        await _h.LoadAsync();
        using var unpublished = TestSigningKey.Create("never-published");

        var (result, record) = await _h.ValidateAsync(_h.Token(unpublished));

        Assert.False(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchUnrecovered, record.Category);
        Assert.True(record.KeysRefreshed);
        Assert.Equal(2, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Miss_after_the_window_fetches_again()
    {
        await _h.LoadAsync();
        using var forged = TestSigningKey.Create("forged");
        await _h.ValidateAsync(_h.Token(forged));

        _h.Time.Advance(TimeSpan.FromSeconds(30));
        var next = _h.Rotate("key-2");
        var (result, record) = await _h.ValidateAsync(_h.Token(next));

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        Assert.Equal(3, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Fifty_concurrent_misses_share_one_fetch_and_all_log_in()
    {
        await _h.LoadAsync();
        var next = _h.Rotate("key-2");
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var logins = Enumerable.Range(0, 50).Select(_ => Task.Run(() => _h.ValidateAsync(_h.Token(next)))).ToList();
        await WaitUntil(() => _h.Op.JwksRequests == 2);
        await Task.Delay(100); // let the rest reach the shared fetch; a late one finds the new key cached anyway
        _h.Op.JwksGate.SetResult();
        var results = await Task.WhenAll(logins);

        Assert.All(results, r => Assert.True(r.Result.IsValid));
        Assert.Equal(2, _h.Op.JwksRequests);
        Assert.Contains(results, r => r.Record.Category == OidcAuditCategories.KidMismatchRecovered);
        Assert.DoesNotContain(results, r => r.Record.Category == OidcAuditCategories.KidMismatchThrottled);
    }

    [Fact]
    public async Task Known_kid_with_a_bad_signature_never_refreshes()
    {
        await _h.LoadAsync();
        using var impostor = TestSigningKey.Create("impostor");

        var (result, record) = await _h.ValidateAsync(_h.Token(impostor, kid: "key-1"));

        Assert.False(result.IsValid);
        Assert.Equal(OidcAuditCategories.IdTokenInvalid, record.Category);
        Assert.Equal("signature_invalid", record.Reason);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Known_kid_with_a_bad_signature_refreshes_once_when_kid_reuse_is_allowed()
    {
        using var h = new RefresherHarness(p => p.RefreshOnKnownKidSignatureFailure = true);
        await h.LoadAsync();
        // The OP reuses kid "key-1" for a brand-new key.
        var reused = TestSigningKey.Create("key-1");
        h.Op.Published.Clear();
        h.Op.Published.Add(reused);

        var (result, record) = await h.ValidateAsync(h.Token(reused));

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        Assert.Equal(2, h.Op.JwksRequests);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("audience")]
    [InlineData("issuer")]
    public async Task Unknown_kid_on_a_token_failing_keyless_checks_is_rejected_without_a_fetch(string defect)
    {
        await _h.LoadAsync();
        using var other = TestSigningKey.Create("other");
        var token = defect switch
        {
            "expired" => other.CreateIdToken(_h.Op.Issuer, RefresherHarness.ClientId, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20)),
            "audience" => _h.Token(other, audience: "someone-else"),
            _ => _h.Token(other, issuer: "https://evil.example"),
        };

        var (result, record) = await _h.ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.Equal(OidcAuditCategories.IdTokenInvalid, record.Category);
        Assert.Equal(defect, record.Reason);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Theory]
    [InlineData("bad\u0000kid")]
    [InlineData("line\r\nbreak")]
    public async Task Malformed_kid_is_rejected_before_any_refresh(string kid)
    {
        await _h.LoadAsync();

        var (result, record) = await _h.ValidateAsync(_h.Token(_h.Key(0), kid: kid));

        Assert.False(result.IsValid);
        Assert.Equal("kid_malformed", record.Reason);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Overlong_kid_is_rejected_before_any_refresh()
    {
        await _h.LoadAsync();

        var (_, record) = await _h.ValidateAsync(_h.Token(_h.Key(0), kid: new string('k', 257)));

        Assert.Equal("kid_malformed", record.Reason);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Kid_absent_token_uses_the_single_published_key()
    {
        await _h.LoadAsync();

        var (result, record) = await _h.ValidateAsync(_h.Token(_h.Key(0), kid: ""));

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, record.Category);
    }

    [Fact]
    public async Task Kid_absent_token_tries_each_of_several_keys()
    {
        using var h = new RefresherHarness(initialKeys: 3);
        await h.LoadAsync();

        var (result, _) = await h.ValidateAsync(h.Token(h.Key(2), kid: ""));
        using var stranger = TestSigningKey.Create("stranger");
        var (rejected, record) = await h.ValidateAsync(h.Token(stranger, kid: ""));

        Assert.True(result.IsValid);
        Assert.False(rejected.IsValid);
        Assert.Equal(OidcAuditCategories.IdTokenInvalid, record.Category);
        Assert.Equal(1, h.Op.JwksRequests); // kid-absent tokens never trigger a refresh
    }

    [Fact]
    public async Task Failed_refresh_keeps_the_old_keys_and_reports_jwks_unreachable()
    {
        await _h.LoadAsync();
        var next = _h.Rotate("key-2");
        _h.Op.JwksResponse = () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        var (failed, record) = await _h.ValidateAsync(_h.Token(next));
        var (stillWorks, oldRecord) = await _h.ValidateAsync(_h.Token(_h.Key(0)));

        Assert.False(failed.IsValid);
        Assert.Equal(OidcAuditCategories.JwksUnreachable, record.Category);
        Assert.Equal("jwks_http_503", record.Reason);
        Assert.True(stillWorks.IsValid);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, oldRecord.Category);
        Assert.Equal(["key-1"], _h.Entry.Snapshot!.Kids);
    }

    [Fact]
    public async Task Encrypted_and_garbage_tokens_are_rejected_without_a_fetch()
    {
        await _h.LoadAsync();

        var (_, garbage) = await _h.ValidateAsync("not-a-token");
        var (_, jwe) = await _h.ValidateAsync("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d");

        Assert.Equal(("id_token_invalid", "malformed"), (garbage.Category, garbage.Reason));
        Assert.Equal("id_token_invalid", jwe.Category);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Random_token_shaped_input_never_throws_and_never_fetches()
    {
        await _h.LoadAsync();
        var random = new Random(20261123);
        var alphabet = "abcXYZ019-_.=+/\"{}:,\u0000 ";
        var valid = _h.Token(_h.Key(0));
        for (var i = 0; i < 2000; i++)
        {
            var input = i % 2 == 0
                ? new string(Enumerable.Range(0, random.Next(0, 120)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())
                : Mutate(valid, random);
            var (result, record) = await _h.ValidateAsync(input);
            Assert.True(result.IsValid || record.Category == OidcAuditCategories.IdTokenInvalid
                || record.Category == OidcAuditCategories.KidMismatchUnrecovered || record.Category == OidcAuditCategories.KidMismatchThrottled);
        }
        Assert.True(_h.Op.JwksRequests <= 1 + _h.Options.Keys.KidMissBudget);
    }

    private static string Mutate(string token, Random random)
    {
        var chars = token.ToCharArray();
        for (var j = 0; j < 3; j++)
        {
            chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
        }
        return new string(chars);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(5);
        }
    }

    [Theory]
    [InlineData("Kx9./aB..z")] // LemonLDAP::NG draws kids from [A-Za-z0-9./]: about 1 rotation in 450 has a ".."
    [InlineData("../../../../dev/null")] // compared, never used as a path
    [InlineData("ab+/cd==")] // Cognito
    [InlineData("2026-12-01T00:00:00Z")]
    public void Kids_real_providers_publish_are_well_formed(string kid) =>
        Assert.True(OidcRp.Callback.RecoveringTokenValidator.IsWellFormedKid(kid));

    [Theory]
    [InlineData("!", true)]
    [InlineData("~", true)]
    [InlineData(" ", false)]
    [InlineData("\u007f", false)]
    [InlineData("a\"b", false)]
    [InlineData("a'b", false)]
    [InlineData("a<b", false)]
    [InlineData("a>b", false)]
    [InlineData("a;b", false)]
    [InlineData("a`b", false)]
    [InlineData("a\\b", false)]
    [InlineData("", false)]
    public void Kid_characters_are_bounded_to_printable_ascii_without_quoting_characters(string kid, bool wellFormed) =>
        Assert.Equal(wellFormed, OidcRp.Callback.RecoveringTokenValidator.IsWellFormedKid(kid));

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void Kid_length_is_bounded_at_256(int length, bool wellFormed) =>
        Assert.Equal(wellFormed, OidcRp.Callback.RecoveringTokenValidator.IsWellFormedKid(new string('k', length)));

    [Fact]
    public async Task A_token_whose_signature_was_stripped_is_refused_even_with_a_known_kid()
    {
        await _h.LoadAsync();
        var token = _h.Token(_h.Key(0));
        var unsigned = token[..(token.LastIndexOf('.') + 1)];

        var (result, record) = await _h.ValidateAsync(unsigned);

        Assert.False(result.IsValid);
        Assert.Equal(OidcAuditCategories.IdTokenInvalid, record.Category);
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("audience")]
    [InlineData("issuer")]
    [InlineData("no_expiration")]
    public async Task Known_kid_token_failing_a_claim_check_is_refused_with_its_reason(string defect)
    {
        await _h.LoadAsync();
        var key = _h.Key(0);
        var token = defect switch
        {
            "expired" => key.CreateIdToken(_h.Op.Issuer, RefresherHarness.ClientId, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20)),
            "audience" => _h.Token(key, audience: "someone-else"),
            "issuer" => _h.Token(key, issuer: "https://evil.example"),
            _ => WithoutExpiry(key),
        };

        var (result, record) = await _h.ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, defect), (record.Category, record.Reason));
        Assert.Equal(1, _h.Op.JwksRequests);
    }

    private string WithoutExpiry(TestSigningKey key)
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = _h.Op.Issuer,
            Audience = RefresherHarness.ClientId,
            IssuedAt = DateTime.UtcNow,
            Claims = new Dictionary<string, object> { ["sub"] = "alice" },
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.RsaSecurityKey(key.Rsa) { KeyId = key.Kid }, "RS256"),
        });
    }

    [Fact]
    public async Task Hs256_when_listed_verifies_with_the_client_secret_only_and_never_fetches()
    {
        const string secret = "a-client-secret-of-at-least-32-bytes!";
        using var h = new RefresherHarness();
        h.Options.Providers["test"].ClientSecret = secret;
        h.Options.Providers["test"].SigningAlgorithms.Add("RS256");
        h.Options.Providers["test"].SigningAlgorithms.Add("HS256");
        await h.LoadAsync();

        var (good, goodRecord) = await h.ValidateAsync(Hs256(h, secret, kid: "any-kid"));
        var (bad, badRecord) = await h.ValidateAsync(Hs256(h, "another-secret-of-at-least-32-bytes!!", kid: "any-kid"));

        Assert.True(good.IsValid);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, "any-kid"), (goodRecord.Category, goodRecord.Kid));
        Assert.False(bad.IsValid);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, "signature_invalid"), (badRecord.Category, badRecord.Reason));
        Assert.Equal(1, h.Op.JwksRequests);
    }

    [Fact]
    public async Task A_known_kid_bound_to_another_algorithm_is_refused_without_a_fetch()
    {
        await _h.LoadAsync();
        var jwks = System.Text.Json.Nodes.JsonNode.Parse(TestSigningKey.Jwks(_h.Op.Published))!;
        jwks["keys"]![0]!["alg"] = "PS256";
        _h.Op.JwksBody = jwks.ToJsonString();
        _h.Options.Keys.AdminRefreshMinInterval = TimeSpan.FromTicks(1);
        await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);

        var (result, record) = await _h.ValidateAsync(_h.Token(_h.Key(0)));

        Assert.False(result.IsValid);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"), (record.Category, record.Reason));
        Assert.Equal(2, _h.Op.JwksRequests);
    }

    private static string Hs256(RefresherHarness h, string secret, string kid) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = h.Op.Issuer,
            Audience = RefresherHarness.ClientId,
            Claims = new Dictionary<string, object> { ["sub"] = "alice" },
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(secret)) { KeyId = kid }, "HS256"),
        });
}
