using System.Data.Common;
using System.Reflection;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSubstitute;
using OidcRp.Providers.Sql;

namespace OidcRp.Tests.Unit.Providers.Sql;

/// <summary>The SQL provider store's pure parts: the settings column, the write check, secrets, options and registration.</summary>
public sealed class ProviderStorePartsTests
{
    private static OidcProviderOptions Full()
    {
        var provider = new OidcProviderOptions
        {
            Id = "acme",
            DisplayName = "Acme",
            Authority = "https://login.microsoftonline.com/common/v2.0",
            MetadataAddress = "https://meta.example/x",
            IssuerTemplate = "https://issuer.example/{tenantid}/v2.0",
            ClientId = "web",
            ClientSecret = "the-plain-secret-0123456789",
            ClientAuthentication = "client_secret_post",
            ResponseMode = "query",
            PushedAuthorization = false,
            Prompt = "login consent",
            MaxAge = TimeSpan.FromSeconds(90),
            GetClaimsFromUserInfoEndpoint = true,
            CallbackPath = "/cb",
            SignedOutCallbackPath = "/so",
            FrontChannelLogout = true,
            RequireHttpsMetadata = false,
            ConfigureHandler = _ => { },
        };
        provider.AllowedTenants.Add("72f988bf-86f1-41af-91ab-2d7cd011db47");
        provider.Scopes.Add("openid");
        provider.SigningAlgorithms.Add("ES256");
        return provider;
    }

    private static IEnumerable<PropertyInfo> Settings => typeof(OidcProviderOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => !ProviderSettingsJson.Excluded.Contains(p.Name));

    [Fact]
    public void The_settings_column_holds_every_public_setting_but_the_id_the_secret_and_code()
    {
        Assert.Equal(["ClientSecret", "ConfigureHandler", "Id"], ProviderSettingsJson.Excluded.Order(StringComparer.Ordinal));
        var full = Full();
        var json = ProviderSettingsJson.Write(full);
        using var document = System.Text.Json.JsonDocument.Parse(json);

        // Unset (null) settings are left out; Full() sets every one but Issuer (it has IssuerTemplate instead).
        Assert.Equal(["Issuer"], Settings.Where(p => p.GetValue(full) is null).Select(p => p.Name));
        Assert.Equal(Settings.Where(p => p.GetValue(full) is not null).Select(p => p.Name).Order(StringComparer.Ordinal),
            document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("the-plain-secret", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_reads_back_equal()
    {
        var saved = Full();
        var read = ProviderSettingsJson.Read("ACME", ProviderSettingsJson.Write(saved));

        Assert.Equal("ACME", read.Id);
        Assert.Null(read.ClientSecret);
        Assert.Null(read.ConfigureHandler);
        foreach (var property in Settings)
        {
            var (expected, actual) = (property.GetValue(saved), property.GetValue(read));
            if (expected is IEnumerable<string> list)
            {
                Assert.Equal(list, (IEnumerable<string>)actual!);
            }
            else
            {
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Settings_of_a_newer_version_with_unknown_members_still_read()
    {
        var read = ProviderSettingsJson.Read("a", """{"Authority":"https://op.example","SomethingNew":{"x":1},"Scopes":["openid"]}""");

        Assert.Equal("https://op.example", read.Authority);
        Assert.Equal(["openid"], read.Scopes);
    }

    [Fact]
    public void The_write_check_is_the_registrys_check_of_a_store_provider()
    {
        var valid = Full();
        valid.ConfigureHandler = null;
        valid.CallbackPath = null;
        valid.SignedOutCallbackPath = "/AUTH/oidc/acme/signout-callback"; // a store provider keeps the default paths, any case
        Assert.Empty(ProviderShape.Check(valid));
        valid.SignedOutCallbackPath = "/so";
        Assert.Contains("SignedOutCallbackPath", Assert.Single(ProviderShape.Check(valid)), StringComparison.Ordinal);
        valid.SignedOutCallbackPath = null;
        Assert.Empty(ProviderShape.Check(valid));

        Assert.Contains("Id is required", Assert.Single(ProviderShape.Check(new OidcProviderOptions())), StringComparison.Ordinal);
        Assert.Contains(ProviderShape.Check(Full()), e => e.Contains("ConfigureHandler", StringComparison.Ordinal));
        var noAuthority = Full();
        noAuthority.Authority = null;
        noAuthority.MetadataAddress = null;
        Assert.Contains(ProviderShape.Check(noAuthority), e => e.StartsWith("OidcRp store provider acme: Authority", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_protected_secret_is_bound_to_its_provider_and_never_in_an_error()
    {
        var secrets = new ProviderSecrets(new OidcProviderStoreOptions(), new EphemeralDataProtectionProvider());
        var (protectedValue, name, error) = secrets.ForWrite("ALPHA", "s3cret-value", null);

        Assert.Null(error);
        Assert.Null(name);
        Assert.DoesNotContain("s3cret-value", protectedValue!, StringComparison.Ordinal);
        Assert.Equal("s3cret-value", await secrets.ReadAsync("alpha", "ALPHA", protectedValue, null, default));
        var moved = await Assert.ThrowsAsync<ProviderRowException>(() => secrets.ReadAsync("beta", "BETA", protectedValue, null, default).AsTask());
        Assert.Equal("secret_unprotect_failed", moved.Code);
        Assert.Contains("External", secrets.ForWrite("ALPHA", null, "kv-name").Error, StringComparison.Ordinal);
        Assert.Equal((null, null, null), secrets.ForWrite("ALPHA", null, null));
    }

    [Fact]
    public async Task An_external_secret_is_resolved_by_name_and_a_secret_given_to_keep_is_refused()
    {
        var secrets = new ProviderSecrets(new OidcProviderStoreOptions
        {
            SecretStorage = OidcProviderSecretStorage.External,
            ResolveSecret = (request, _) => ValueTask.FromResult<string?>($"{request.ProviderId}/{request.SecretName}"),
        }, protection: null);

        Assert.DoesNotContain("s3cret-value", secrets.ForWrite("A", "s3cret-value", "kv").Error!, StringComparison.Ordinal);
        Assert.Equal((null, "kv", null), secrets.ForWrite("A", null, "kv"));
        Assert.NotNull(secrets.ForWrite("A", null, "bad\nname").Error);
        Assert.Equal("a/kv", await secrets.ReadAsync("a", "A", null, "kv", default));
        Assert.Null(await secrets.ReadAsync("a", "A", null, null, default));
        var mismatch = await Assert.ThrowsAsync<ProviderRowException>(() => secrets.ReadAsync("a", "A", "CfDJ8protected", null, default).AsTask());
        Assert.Equal("secret_storage_mismatch", mismatch.Code);
    }

    [Fact]
    public void Options_report_every_problem_at_once()
    {
        var result = new OidcProviderStoreOptionsValidator().Validate(null, new OidcProviderStoreOptions
        {
            SecretStorage = OidcProviderSecretStorage.External,
            DataProtectionPurpose = " ",
            PollInterval = TimeSpan.FromMilliseconds(1),
            PollBatchSize = 0,
        });

        Assert.Equal(4, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("ResolveSecret", StringComparison.Ordinal));
        Assert.True(new OidcProviderStoreOptionsValidator().Validate(null, new OidcProviderStoreOptions { PollInterval = null }).Succeeded);
        Assert.True(new OidcProviderStoreOptionsValidator().Validate(null, new OidcProviderStoreOptions
        {
            ResolveSecret = (_, _) => ValueTask.FromResult<string?>(null),
        }).Failed);
    }

    [Fact]
    public async Task Registration_replaces_an_earlier_store_and_validates_its_options()
    {
        var earlier = Substitute.For<IOidcProviderStore>();
        var services = new ServiceCollection().AddLogging().AddSingleton(earlier);
        services.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.Sqlite, _ => Substitute.For<DbDataSource>());
        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<IOidcProviderStore>();
            Assert.IsType<SqlOidcProviderStore>(store);
            Assert.Same(store, provider.GetRequiredService<SqlOidcProviderStore>());
            Assert.Single(provider.GetServices<IOidcProviderStore>());
        }

        var external = new ServiceCollection().AddLogging();
        external.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.PostgreSql, _ => Substitute.For<DbDataSource>(),
            o => o.SecretStorage = OidcProviderSecretStorage.External);
        await using var invalid = external.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => invalid.GetRequiredService<IOptions<OidcProviderStoreOptions>>().Value);
    }
}
