namespace OidcRp.Farm;

/// <summary>The default: a single instance, nothing shared. OidcRp checks <see cref="IsShared"/> and never calls the rest.</summary>
internal sealed class LocalFarmState : IOidcFarmState
{
    public bool IsShared => false;

    public bool IsAvailable => false;

    public Task<bool?> TryConsumeFlowAsync(string providerId, string flowKey, TimeSpan lifetime, CancellationToken cancellationToken) =>
        Task.FromResult<bool?>(null);

    public Task<OidcKidMissDraw> DrawKidMissAsync(string budgetKey, string kidKey, int budget, TimeSpan window, CancellationToken cancellationToken) =>
        Task.FromResult(new OidcKidMissDraw(OidcKidMissVerdict.Unavailable));

    public Task RefundKidMissAsync(string budgetKey, string ticket, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RememberMissingKidAsync(string kidKey, TimeSpan window, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<long?> NextSnapshotVersionAsync(string providerId, long atLeast, CancellationToken cancellationToken) => Task.FromResult<long?>(null);

    public Task<bool> WriteSnapshotAsync(string providerId, long version, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        Task.FromResult(false);

    public Task<string?> ReadSnapshotAsync(string providerId, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task PublishAsync(string message, CancellationToken cancellationToken) => Task.CompletedTask;

    public IDisposable Subscribe(Action<string> onMessage, Action onReconnected) => new NoSubscription();

    private sealed class NoSubscription : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
