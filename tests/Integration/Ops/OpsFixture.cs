namespace OidcRp.Tests.Integration.Ops;

/// <summary>Every OP the scenarios run against. A new OP joins the matrix by adding its fixture here.</summary>
public sealed class OpsFixture : IAsyncLifetime
{
    private readonly Dictionary<string, IOpFixture> _ops = new IOpFixture[] { new OidcProviderOp(), new OpenIddictOp(), new KeycloakOp() }
        .ToDictionary(o => o.Name);

    /// <summary>The theory data of every scenario: one row per OP.</summary>
    public static TheoryData<string> All => ["oidc-provider", "openiddict", "keycloak"];

    /// <summary>The OP of that name; skips the test (with its stated reason) when it cannot run here.</summary>
    public IOpFixture Get(string name)
    {
        var op = _ops[name];
        Skip.If(op.SkipReason is not null, op.SkipReason);
        return op;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var op in _ops.Values)
        {
            await op.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OpsCollection : ICollectionFixture<OpsFixture>
{
    public const string Name = "ops";
}
