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

    public static void Ran(string op, string scenario) => Append("OIDCRP_OP_MATRIX_LOG", $"{op}\t{scenario}");

    /// <summary>
    /// Steps of a scenario that ran which the OP's rotation cannot express, named, one line each in
    /// <c>OIDCRP_OP_STEPS_LOG</c> (.ci/run prints them beside the counts).
    /// </summary>
    public static void NotExpressed(string op, string scenario, IEnumerable<string> steps)
    {
        foreach (var step in steps)
        {
            Append("OIDCRP_OP_STEPS_LOG", $"{op}\t{scenario}\t{step}");
        }
    }

    private static void Append(string variable, string line)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } log)
        {
            return;
        }
        lock (Gate)
        {
            File.AppendAllText(log, line + Environment.NewLine);
        }
    }
}
