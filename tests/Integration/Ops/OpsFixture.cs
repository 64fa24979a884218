namespace OidcRp.Tests.Integration.Ops;

/// <summary>Every OP the scenarios run against. A new OP joins the matrix by adding its fixture here.</summary>
public sealed class OpsFixture : IAsyncLifetime
{
    /// <summary>The start of every rotation-shape skip reason (.ci/run accepts these skips and counts them).</summary>
    public const string CannotRotatePrefix = "OP cannot express rotation";

    private readonly Dictionary<string, IOpFixture> _ops = new IOpFixture[] { new OidcProviderOp(), new OpenIddictOp(), new LemonLdapOp(), new KeycloakOp() }
        .ToDictionary(o => o.Name);

    /// <summary>The theory data of every scenario: one row per OP.</summary>
    public static TheoryData<string> All => ["oidc-provider", "openiddict", "lemonldap-ng", "keycloak"];

    /// <summary>
    /// The OP of that name; skips the test (with its stated reason) when it cannot run here, or when it cannot
    /// express one of the rotation shapes the scenario needs (named in the skip reason).
    /// </summary>
    public IOpFixture Get(string name, params RotationMode[] rotations)
    {
        var op = _ops[name];
        Skip.If(op.SkipReason is not null, op.SkipReason);
        foreach (var mode in rotations)
        {
            var reason = op.CannotRotate(mode);
            Skip.If(reason is not null, $"{CannotRotatePrefix} {mode}: {reason}");
        }
        return op;
    }

    /// <summary>The OP for a bearer scenario: as <see cref="Get"/>, and skipped with the OP's stated reason when it issues no JWT access tokens.</summary>
    public IOpFixture GetIssuingAccessTokens(string name, params RotationMode[] rotations)
    {
        var op = Get(name, rotations);
        Skip.If(op.CannotIssueAccessTokens is not null, $"{CannotIssueAccessTokensPrefix}: {op.CannotIssueAccessTokens}");
        return op;
    }

    /// <summary>The start of the skip reason of an OP that issues no JWT access tokens.</summary>
    public const string CannotIssueAccessTokensPrefix = "OP issues no JWT access tokens";

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
