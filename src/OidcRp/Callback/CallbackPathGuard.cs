using Microsoft.Extensions.Hosting;

namespace OidcRp.Callback;

/// <summary>
/// Builds the callback path map at start-up, so that two providers on one path, or a path on one of
/// OidcRp's routes, stop the application with every conflict listed, instead of one provider silently
/// never signing anyone in. Runs after options validation (the host validates options before starting
/// hosted services), with the application's hooks applied.
/// </summary>
internal sealed class CallbackPathGuard(CallbackPaths paths) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        paths.EnsureValid();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
