using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FsCheck;

namespace OidcRp.Tests.Support;

/// <summary>
/// The seed and the record of one randomised test run. The seed is <c>OIDCRP_FUZZ_SEED</c> when set (to replay
/// a run), else fixed in CI (<c>CI=true</c>, so every fresh clone draws the same inputs), else new for each
/// local run (to keep exploring). The run prints its seed, its budget and a SHA-256 over the generator's draws
/// (its input hash), appends them to <c>OIDCRP_FUZZ_LOG</c> when set (the test command points it at
/// TestResults/, and .ci/run prints it), and puts them in the message of any failure.
/// </summary>
public sealed class FuzzRun(string name, ulong seed, int budget)
{
    /// <summary>The seed every CI run uses unless <c>OIDCRP_FUZZ_SEED</c> says otherwise.</summary>
    public const ulong CiSeed = 20261201;

    public string Name => name;

    public ulong Seed => seed;

    public int Budget => budget;

    public static FuzzRun Start(string name, int budget)
    {
        var configured = Environment.GetEnvironmentVariable("OIDCRP_FUZZ_SEED");
        ulong seed = configured is { Length: > 0 } && ulong.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
            : string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? CiSeed
            : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        return new FuzzRun(name, seed, budget);
    }

    /// <summary>The FsCheck random state for this run's draws.</summary>
    public Rnd Random => new(seed);

    /// <summary>SHA-256 (first 16 hex digits) over the draws' canonical texts: equal seeds and budgets give equal hashes.</summary>
    public static string HashOf(IEnumerable<string> draws)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var draw in draws)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(draw));
            sha.AppendData([0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

    /// <summary>How to replay this run, with its input hash.</summary>
    public string Describe(string inputHash) =>
        $"fuzz {name}: seed {seed.ToString(CultureInfo.InvariantCulture)}, {budget} inputs, input hash {inputHash} "
        + $"(replay: OIDCRP_FUZZ_SEED={seed.ToString(CultureInfo.InvariantCulture)} OIDCRP_FUZZ_INPUTS=…)";

    /// <summary>Runs <paramref name="body"/>; the seed and input hash are recorded, and named in any failure.</summary>
    public async Task RunAsync(string inputHash, Action<string> output, Func<Task> body)
    {
        var line = Describe(inputHash);
        output(line);
        if (Environment.GetEnvironmentVariable("OIDCRP_FUZZ_LOG") is { Length: > 0 } log)
        {
            await File.AppendAllTextAsync(log, line + Environment.NewLine);
        }
        try
        {
            await body();
        }
        catch (Exception e)
        {
            throw new FuzzFailureException(line, e);
        }
    }
}

/// <summary>A failure of a fuzz run, carrying the seed and input hash that replay it.</summary>
public sealed class FuzzFailureException(string run, Exception inner) : Exception($"{run} failed: {inner.Message}", inner);
