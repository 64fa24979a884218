using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Audit.Sql;
using OidcRp.Farm;
using OidcRp.Providers.Sql;
using OidcRp.StackExchangeRedis;

namespace OidcRp.Tests.Unit.Docs;

/// <summary>
/// Configuration shown in the docs works: each ```json block marked <c>&lt;!-- config: appsettings --&gt;</c> (a fragment
/// of appsettings.json) or <c>&lt;!-- config: Some:Path --&gt;</c> (members of that section) is bound into the options
/// classes with unknown keys failing, then registered the way an app does and run through OidcRp's validators.
/// </summary>
public sealed class ConfigurationSnippetTests
{
    /// <summary>Sections of the OidcRp section that belong to another options class, and how the docs register it.</summary>
    private static readonly string[] AddOnSections = ["Bearer", "AuditStore", "ProviderStore", "Redis"];

    /// <summary>Top-level sections the docs show that are the sample app's own, not OidcRp's.</summary>
    private static readonly string[] AppSections = ["Sample"];

    public static TheoryData<string, int> ConfigBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in DocPages.Pages().SelectMany(DocPages.Blocks).Where(b => b.Marker?.StartsWith("config:", StringComparison.Ordinal) == true))
        {
            data.Add(block.File, block.Line);
        }
        return data;
    }

    [Fact]
    public void The_docs_show_configuration_of_every_section()
    {
        var configs = ConfigBlocks().Select(row => Load(DocPages.Blocks((string)row[0]).Single(b => b.Line == (int)row[1]))).ToList();

        Assert.True(configs.Count >= 8, $"only {configs.Count} marked configuration blocks");
        Assert.All(AddOnSections, s => Assert.Contains(configs, c => c.GetSection("OidcRp").GetSection(s).Exists()));
    }

    [Fact]
    public void Json_blocks_that_look_like_configuration_are_marked()
    {
        var unmarked = DocPages.Pages().SelectMany(DocPages.Blocks)
            .Where(b => b.Language == "json" && b.Marker is null && b.Text.Contains("\"OidcRp\"", StringComparison.Ordinal));

        Assert.Empty(unmarked.Select(b => b.ToString()));
    }

    [Theory]
    [MemberData(nameof(ConfigBlocks))]
    public void A_configuration_block_binds_without_unknown_keys_and_validates(string page, int line)
    {
        var block = DocPages.Blocks(page).Single(b => b.Line == line);
        var configuration = Load(block);
        var oidcRp = configuration.GetSection("OidcRp");
        Assert.True(oidcRp.Exists(), $"{block}: no OidcRp section");
        Assert.Empty(configuration.GetChildren().Select(c => c.Key).Except(["OidcRp", .. AppSections]));

        var core = Without(oidcRp, AddOnSections);
        StrictBind<OidcRpOptions>(block, core);
        var services = new ServiceCollection();
        services.AddLogging();
        if (core.GetChildren().Any())
        {
            var auth = services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(oidcRp);
            if (oidcRp.GetSection("Bearer").Exists())
            {
                StrictBind<OidcRpBearerOptions>(block, oidcRp.GetSection("Bearer"));
                auth.AddOidcRpBearer(oidcRp.GetSection("Bearer"));
            }
        }
        if (oidcRp.GetSection("AuditStore") is { } audit && audit.Exists())
        {
            StrictBind<OidcAuditStoreOptions>(block, audit);
            services.AddOidcRpAuditStore(SqlAuditDialect.Sqlite, _ => Unused(), o => audit.Bind(o));
        }
        if (oidcRp.GetSection("ProviderStore") is { } store && store.Exists())
        {
            StrictBind<OidcProviderStoreOptions>(block, store);
            services.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.Sqlite, _ => Unused(), o => store.Bind(o));
        }
        if (oidcRp.GetSection("Redis") is { } redis && redis.Exists())
        {
            StrictBind<OidcRpRedisOptions>(block, redis);
            services.AddOidcRpRedis(redis);
        }

        using var provider = services.BuildServiceProvider();
        Validate(block, () =>
        {
            if (core.GetChildren().Any())
            {
                Assert.NotEmpty(provider.GetRequiredService<IOptions<OidcRpOptions>>().Value.Providers);
            }
            if (oidcRp.GetSection("Bearer").Exists())
            {
                _ = provider.GetRequiredService<IOptionsMonitor<OidcRpBearerOptions>>().Get(OidcRpBearerDefaults.AuthenticationScheme);
            }
            if (oidcRp.GetSection("AuditStore").Exists())
            {
                _ = provider.GetRequiredService<IOptions<OidcAuditStoreOptions>>().Value;
            }
            if (oidcRp.GetSection("ProviderStore").Exists())
            {
                _ = provider.GetRequiredService<IOptions<OidcProviderStoreOptions>>().Value;
            }
            if (oidcRp.GetSection("Redis").Exists())
            {
                _ = provider.GetRequiredService<IOptions<OidcRpRedisOptions>>().Value;
                // What FarmSync checks when the farm starts: a MAC key of at least 32 bytes.
                Assert.NotNull(FarmMac.FromOptions(provider.GetRequiredService<IOptions<OidcFarmOptions>>().Value));
            }
        });
    }

    [Fact]
    public void An_unknown_key_fails()
    {
        var block = new FencedBlock("test", 1, "json", """
            "OidcRp": { "Providers": { "p": { "Authority": "https://op.example", "ClientId": "c", "ClientSecrett": "s" } } }
            """, "config: appsettings");

        var e = Assert.Throws<InvalidOperationException>(() => StrictBind<OidcRpOptions>(block, Load(block).GetSection("OidcRp")));
        Assert.True(e.Message.Contains("ClientSecrett", StringComparison.Ordinal), e.Message);
    }

    /// <summary>The block as configuration: a fragment is wrapped into an object, placed at the marker's path.</summary>
    internal static IConfigurationRoot Load(FencedBlock block)
    {
        var path = block.Marker!["config:".Length..].Trim();
        var json = block.Text.Trim();
        if (!json.StartsWith('{'))
        {
            json = "{" + json + "}";
        }
        if (path != "appsettings")
        {
            foreach (var segment in path.Split(':').Reverse())
            {
                json = $"{{\"{segment}\": {json}}}";
            }
        }
        var builder = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        if (json.Contains("\"Redis\"", StringComparison.Ordinal) && !json.Contains("\"SharedKey\"", StringComparison.Ordinal))
        {
            // The docs keep the farm's MAC key out of the file (an environment variable or a secret store); supply one
            // as the environment would, so the rest of the block is checked.
            builder.AddInMemoryCollection([new("OidcRp:Redis:SharedKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))]);
        }
        return builder.Build();
    }

    private static void StrictBind<T>(FencedBlock block, IConfiguration section) where T : new()
    {
        try
        {
            section.Bind(new T(), o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            var messages = new List<string>();
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                messages.Add(inner.Message);
            }
            throw new InvalidOperationException($"{block}: {typeof(T).Name}: {string.Join(" → ", messages)}", e);
        }
    }

    private static void Validate(FencedBlock block, Action resolve)
    {
        try
        {
            resolve();
        }
        catch (OptionsValidationException e)
        {
            Assert.Fail($"{block}: refused at start-up:\n{string.Join('\n', e.Failures)}");
        }
    }

    /// <summary>The section without the named children (they bind into other classes).</summary>
    private static IConfiguration Without(IConfigurationSection section, string[] children)
    {
        var kept = section.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null && !children.Any(c => kv.Key.Equals(c, StringComparison.OrdinalIgnoreCase)
                || kv.Key.StartsWith(c + ":", StringComparison.OrdinalIgnoreCase)));
        return new ConfigurationBuilder().AddInMemoryCollection(kept).Build();
    }

    private static DbDataSource Unused() => throw new InvalidOperationException("the docs' configuration tests never open a database");
}
