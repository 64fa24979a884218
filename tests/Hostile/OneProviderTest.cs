using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>A test OP and a relying party with that OP as provider "alpha", fresh for each test.</summary>
public abstract class OneProviderTest : IAsyncLifetime
{
    protected TestOp Op { get; private set; } = null!;

    protected RpApp Rp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Op = await TestOp.StartAsync();
        Rp = await RpApp.StartAsync([Op.As("alpha")]);
    }

    public async Task DisposeAsync()
    {
        await Rp.DisposeAsync();
        await Op.DisposeAsync();
    }
}
