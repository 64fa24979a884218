namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// Counts the scenarios that ran to their end, per OP: each scenario marks itself as its last step, so one
/// that skipped, returned early or failed is not counted. Lines ("op&lt;TAB&gt;scenario") are appended to
/// <c>OIDCRP_OP_MATRIX_LOG</c> when set (the test command points it at TestResults/, and .ci/run prints the
/// per-OP counts).
/// </summary>
public static class OpMatrixLog
{
    private static readonly Lock Gate = new();

    public static void Ran(string op, string scenario)
    {
        if (Environment.GetEnvironmentVariable("OIDCRP_OP_MATRIX_LOG") is not { Length: > 0 } log)
        {
            return;
        }
        lock (Gate)
        {
            File.AppendAllText(log, $"{op}\t{scenario}{Environment.NewLine}");
        }
    }
}
