using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Tests.Support;

/// <summary>
/// Generators for the fuzz runs: ID tokens shaped like real ones with every part drawn from hostile
/// values (types, encodings, sizes, depths), then mutated; and plain random text. FsCheck draws them.
/// </summary>
public static class FuzzInputs
{
    /// <summary>One drawn ID token: its canonical text (what the input hash covers) and how to build it.</summary>
    public sealed record TokenDraw(string Canonical, Func<TestSigningKey, long, string> Build)
    {
        public static TokenDraw Fixed(string token) => new(token, (_, _) => token);
    }

    /// <summary>How many inputs a fuzz run tries: <c>OIDCRP_FUZZ_INPUTS</c>, or the given default.</summary>
    public static int Budget(int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("OIDCRP_FUZZ_INPUTS"), out var n) && n > 0 ? n : fallback;

    private static readonly string[] Specials =
    [
        "", " ", "\0", "\r\n", "\u2028", "../../etc/passwd", "x' OR '1'='1", "<script>", "%00", "%2e%2e%2f", "\\u0000",
        "none", "NONE", "null", "[]", "{}", "\"", "\\", new string('k', 300), new string('a', 5000), "é", "\uFFFF", "\uD800",
    ];

    public static Gen<string> Text { get; } = Gen.Frequency(
        (3, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")),
        (2, Gen.Elements(Specials)),
        (1, Gen.Choose(0, 400).SelectMany(n => Gen.ArrayOf(Gen.Elements("ABCxyz019-_.=+/ ".ToCharArray()), n).Select(c => new string(c)))));

    private static Gen<object?> Scalar { get; } = Gen.OneOf(
        Text.Select(s => (object?)s),
        Gen.Choose(int.MinValue, int.MaxValue).Select(i => (object?)i),
        Gen.Elements<object?>(null, true, false, 0, -1, 1e300, -1e300, 0.5, long.MaxValue, 9_999_999_999_999L, double.Epsilon));

    /// <summary>Any JSON value, nested up to <paramref name="depth"/>.</summary>
    public static Gen<object?> Json(int depth) => depth <= 0 ? Scalar : Gen.Frequency(
        (4, Scalar),
        (1, Gen.ListOf(Gen.Sized(s => Json(Math.Min(depth - 1, s / 4)))).Select(l => (object?)l.ToArray())),
        (1, Gen.ListOf(from name in Text from value in Gen.Sized(s => Json(Math.Min(depth - 1, s / 4))) select (name, value)).Select(l =>
            (object?)l.GroupBy(p => p.name).ToDictionary(g => g.Key, g => g.First().value))));

    private static Gen<object?> Either(params (int, Gen<object?>)[] choices) => Gen.Frequency(choices);

    private static Gen<object?> Const(params object?[] values) => Gen.Elements(values);

    /// <summary>
    /// ID tokens for an OP of <paramref name="issuer"/> and a client, drawn as <see cref="TokenDraw"/>s: the draw
    /// (headers, claims with times relative to "now", signature mode, mutations) is canonical text, so equal seeds
    /// give equal input hashes; <see cref="TokenDraw.Build"/> signs it with a key and a clock of the run.
    /// </summary>
    public static Gen<TokenDraw> IdTokens(string issuer, string clientId, string signingKid)
    {
        var absent = Gen.Constant<object?>(Absent.Value);
        var alg = Either((6, Const("RS256")), (2, Const("none", "NONE", "nOnE", "HS256", "HS512", "PS256", "ES256", "RS384", "", "RSA-OAEP", "dir")), (1, Scalar), (1, absent));
        var kid = Either((5, Const(signingKid)), (2, Const("unknown-kid", "key-2")), (2, Text.Select(t => (object?)t)), (1, Scalar), (1, absent));
        var typ = Either((5, absent), (2, Const("JWT", "at+jwt", "logout+jwt", "application/jwt")), (1, Scalar));
        var extraHeader = Either((8, absent), (1, Const("jwk", "jku", "x5u", "x5c", "crit", "b64", "zip", "enc", "cty")));
        var iss = Either((6, Const(issuer)), (1, Const(issuer + "/", "https://evil.example", issuer.ToUpperInvariant())), (1, Scalar), (1, absent));
        var aud = Either((6, Const(clientId)), (1, Const(new[] { clientId }, new[] { clientId, "other" }, "other")), (1, Scalar), (1, absent));
        var sub = Either((6, Const("alice")), (2, Text.Select(t => (object?)t)), (1, Scalar), (1, absent));
        var time = Either((6, Gen.Choose(-600, 600).Select(d => (object?)new Rel(d))), (1, Scalar), (1, absent));
        var later = Either((6, Gen.Choose(60, 3600).Select(d => (object?)new Rel(d))), (1, Scalar), (1, absent));
        var extra = Either((6, absent), (1, Json(6)), (1, Gen.Choose(1, 60).Select(d => (object?)Deep(d))));

        var header =
            from a in alg
            from k in kid
            from t in typ
            from x in extraHeader
            select Header(a, k, t, x);
        var payload =
            from i in iss
            from a in aud
            from s in sub
            from at in time
            from exp in later
            from x in extra
            select Payload(i, a, s, at, exp, x);
        var signature = Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)));
        var structured =
            from h in header
            from p in payload
            from sig in signature
            select new TokenDraw(Canonical(h, p, sig), (key, now) => sig switch
            {
                0 => key.Sign(h, Resolve(p, now)),
                1 => key.Sign(h, Resolve(p, now))[..^10] + "AAAAAAAAAA",
                _ => B64(h) + "." + B64(Resolve(p, now)) + ".",
            });
        var raw =
            from h in Gen.Elements(RawParts)
            from p in Gen.Elements(RawParts)
            from sig in Text
            select TokenDraw.Fixed(Base64UrlEncoder.Encode(h) + "." + Base64UrlEncoder.Encode(p) + "." + sig);
        var mutated =
            from token in structured
            from count in Gen.Choose(1, 8)
            from seed in Gen.Choose(0, int.MaxValue)
            select new TokenDraw(token.Canonical + "|mutate " + count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " "
                + seed.ToString(System.Globalization.CultureInfo.InvariantCulture), (key, now) => Mutate(token.Build(key, now), count, seed));
        return Gen.Frequency(
            (6, structured),
            (3, mutated),
            (1, raw),
            (1, Text.Select(TokenDraw.Fixed)));
    }

    /// <summary>A time claim drawn relative to the run's clock.</summary>
    private sealed record Rel(int Seconds);

    private static Dictionary<string, object?> Resolve(Dictionary<string, object?> payload, long now) =>
        payload.ToDictionary(p => p.Key, p => p.Value is Rel r ? now + r.Seconds : p.Value);

    private static string Canonical(Dictionary<string, object?> header, Dictionary<string, object?> payload, int signature) =>
        System.Text.Json.JsonSerializer.Serialize(header) + "." + System.Text.Json.JsonSerializer.Serialize(payload) + "|sig " + signature;

    private static Dictionary<string, object?> Header(object? alg, object? kid, object? typ, object? extra)
    {
        var h = new Dictionary<string, object?>();
        Put(h, "alg", alg);
        Put(h, "kid", kid);
        Put(h, "typ", typ);
        if (extra is string name)
        {
            h[name] = name == "crit" ? new[] { "exp" } : "https://evil.example/k";
        }
        return h;
    }

    private static Dictionary<string, object?> Payload(object? iss, object? aud, object? sub, object? at, object? exp, object? extra)
    {
        var p = new Dictionary<string, object?>();
        Put(p, "iss", iss);
        Put(p, "aud", aud);
        Put(p, "sub", sub);
        Put(p, "iat", at);
        Put(p, "nbf", at);
        Put(p, "exp", exp);
        Put(p, "extra", extra);
        return p;
    }

    private static readonly string[] RawParts =
    [
        "{", "{\"alg\":", "[]", "null", "1", "\"x\"", "{\"alg\":\"RS256\",\"alg\":\"none\"}", "{\"alg\":\"RS256\",\"kid\":\"k\"}\u0000",
        new string('[', 300) + new string(']', 300), "{\"a\":" + new string('{', 100), "{\"sub\":\"a\",\"sub\":\"b\",\"iss\":1}",
        "\uFEFF{\"alg\":\"RS256\"}", "{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}", "{\"exp\":1e999}",
    ];

    private static string Mutate(string token, int count, int seed)
    {
        var random = new Random(seed);
        var chars = new StringBuilder(token);
        const string alphabet = "AZaz09-_.=+/ \0{}\"\\\u00e9";
        for (var i = 0; i < count && chars.Length > 0; i++)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(5))
            {
                case 0: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                case 1: chars.Insert(at, '.'); break;
                case 2: chars.Remove(at, Math.Min(random.Next(1, 20), chars.Length - at)); break;
                case 3: chars.Length = at; break;
                default: chars.Insert(at, chars.ToString(at, Math.Min(50, chars.Length - at))); break;
            }
        }
        return chars.ToString();
    }

    private static object Deep(int depth) => depth == 0 ? "x" : new object[] { Deep(depth - 1) };

    private static void Put(Dictionary<string, object?> target, string name, object? value)
    {
        if (value is not Absent)
        {
            target[name] = value;
        }
    }

    private static string B64(object value) => Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value));

    private sealed class Absent
    {
        public static readonly Absent Value = new();
    }
}
