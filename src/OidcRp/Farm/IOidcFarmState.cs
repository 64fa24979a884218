namespace OidcRp.Farm;

/// <summary>
/// The state the instances of a farm (several copies of one app behind a load balancer) share: the replay guard,
/// the kid-miss budget and the memory of unknown kids, the latest key snapshot of each provider, and a broadcast
/// channel. OidcRp decides what to share and when; an implementation only stores and forwards opaque values with
/// atomic operations (the package <c>OidcRp.StackExchangeRedis</c> is one, on Redis).
/// <para>
/// Every method answers <c>null</c> (or <see cref="OidcKidMissVerdict.Unavailable"/>, or <c>false</c> from
/// <see cref="IsAvailable"/>) when the shared store cannot answer now; OidcRp then falls back to the instance's own
/// state, so a store that is down or slow never fails a login that the instance alone can serve. Implementations
/// should fail fast when disconnected; OidcRp bounds every call with <see cref="OidcFarmOptions.OperationTimeout"/>
/// anyway. Values read back are not trusted: snapshots and messages carry a MAC that OidcRp checks.
/// </para>
/// <para>The default registration is local: <see cref="IsShared"/> is false and nothing leaves the instance.</para>
/// </summary>
public interface IOidcFarmState
{
    /// <summary>False for the local default (a single instance): OidcRp then never calls the other members.</summary>
    bool IsShared { get; }

    /// <summary>True while the shared store is reachable (a hint for fast fallback; calls may still fail).</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Marks a login flow used, once in the farm (Redis: <c>SET key NX PX lifetime</c>): true for the first caller,
    /// false when any instance already used it within <paramref name="lifetime"/>, null when the store cannot answer.
    /// </summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="flowKey">A hash of the flow's state (never the state itself).</param>
    /// <param name="lifetime">How long the flow is remembered.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<bool?> TryConsumeFlowAsync(string providerId, string flowKey, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>
    /// The farm-wide kid-miss decision, atomically: refused when <paramref name="kidKey"/> was looked up and not found
    /// within the window (<see cref="OidcKidMissVerdict.RecentlyMissing"/>), refused when <paramref name="budget"/>
    /// draws were made within the last <paramref name="window"/> (<see cref="OidcKidMissVerdict.BudgetSpent"/>),
    /// otherwise one draw made and its ticket returned (<see cref="OidcKidMissVerdict.Drawn"/>).
    /// </summary>
    /// <param name="budgetKey">Whose budget: the provider and the token path.</param>
    /// <param name="kidKey">The provider, path and a hash of the kid.</param>
    /// <param name="budget">Draws allowed per window.</param>
    /// <param name="window">The sliding window.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<OidcKidMissDraw> DrawKidMissAsync(string budgetKey, string kidKey, int budget, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Gives a draw back (its fetch proved a genuine rotation).</summary>
    /// <param name="budgetKey">The budget drawn from.</param>
    /// <param name="ticket">The ticket <see cref="DrawKidMissAsync"/> returned.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task RefundKidMissAsync(string budgetKey, string ticket, CancellationToken cancellationToken);

    /// <summary>Remembers for <paramref name="window"/> that a fetch did not find the kid of <paramref name="kidKey"/>.</summary>
    /// <param name="kidKey">The provider, path and a hash of the kid.</param>
    /// <param name="window">How long it is remembered.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task RememberMissingKidAsync(string kidKey, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>
    /// The next snapshot version of a provider (a counter, Redis <c>INCR</c>), above <paramref name="atLeast"/> (so versions
    /// keep rising after the store lost its data), or null when the store cannot answer.
    /// </summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="atLeast">The highest version this instance has seen; the answer is greater.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<long?> NextSnapshotVersionAsync(string providerId, long atLeast, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="payload"/> as the provider's snapshot unless one of a higher version is stored.</summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="version">The payload's version, from <see cref="NextSnapshotVersionAsync"/>.</param>
    /// <param name="payload">The MAC-protected snapshot (opaque to the store).</param>
    /// <param name="timeToLive">How long the store keeps it.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<bool> WriteSnapshotAsync(string providerId, long version, string payload, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>The provider's stored snapshot payload, or null (none, or the store cannot answer).</summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<string?> ReadSnapshotAsync(string providerId, CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="message"/> to every instance (this one included) that subscribed.</summary>
    /// <param name="message">The MAC-protected message (opaque to the store).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    Task PublishAsync(string message, CancellationToken cancellationToken);

    /// <summary>
    /// Receives every message published, and <paramref name="onReconnected"/> each time the store comes back after an
    /// outage (OidcRp then resynchronises). Dispose the result to stop.
    /// </summary>
    /// <param name="onMessage">Called with each message, on any thread.</param>
    /// <param name="onReconnected">Called when the connection is restored.</param>
    IDisposable Subscribe(Action<string> onMessage, Action onReconnected);
}

/// <summary>The farm's answer to a kid miss.</summary>
public enum OidcKidMissVerdict
{
    /// <summary>The store could not answer: the instance's own budget decides.</summary>
    Unavailable,

    /// <summary>One fetch drawn from the farm's budget.</summary>
    Drawn,

    /// <summary>The farm's budget for the window is spent.</summary>
    BudgetSpent,

    /// <summary>An instance looked this kid up within the window and did not find it.</summary>
    RecentlyMissing,
}

/// <summary>The result of <see cref="IOidcFarmState.DrawKidMissAsync"/>.</summary>
/// <param name="Verdict">The decision.</param>
/// <param name="Ticket">For <see cref="OidcKidMissVerdict.Drawn"/>: what gives the draw back.</param>
public readonly record struct OidcKidMissDraw(OidcKidMissVerdict Verdict, string? Ticket = null);
