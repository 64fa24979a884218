using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OidcRp.Tests.Unit.Registration;

/// <summary>The request options of a provider (response mode, client authentication, prompt, max_age) are checked at start-up, every error at once.</summary>
public sealed class RequestOptionsValidationTests
{
    private static string[] Errors(Action<OidcProviderOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(o =>
        {
            var provider = new OidcProviderOptions { Authority = "https://op.example", ClientId = "c", ClientSecret = "s" };
            configure(provider);
            o.Providers["p"] = provider;
        });
        using var sp = services.BuildServiceProvider();
        try
        {
            _ = sp.GetRequiredService<IOptions<OidcRpOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }

    [Fact]
    public void Fragment_is_refused_with_the_reason()
    {
        var error = Assert.Single(Errors(p => p.ResponseMode = "fragment"));

        Assert.Equal("OidcRp:Providers:p: ResponseMode 'fragment' is not supported: a fragment never reaches the server. Use form_post or query.", error);
    }

    [Fact]
    public void Every_bad_request_option_is_reported_at_once()
    {
        var errors = Errors(p =>
        {
            p.ResponseMode = "form_post.jwt";
            p.ClientAuthentication = "private_key_jwt";
            p.Prompt = "none login";
            p.MaxAge = TimeSpan.FromSeconds(-1);
        });

        Assert.Equal(4, errors.Length);
        Assert.Contains(errors, e => e.Contains("ResponseMode 'form_post.jwt' is not supported", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ClientAuthentication 'private_key_jwt' is not supported", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Prompt 'none login' is not valid", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("MaxAge must not be negative", StringComparison.Ordinal));
    }

    [Fact]
    public void A_client_authentication_without_a_secret_is_refused()
    {
        var error = Assert.Single(Errors(p => { p.ClientAuthentication = "client_secret_basic"; p.ClientSecret = null; }));

        Assert.Contains("needs a ClientSecret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("form_post", "client_secret_post", "login", 0)]
    [InlineData("query", "client_secret_basic", "select_account consent", 600)]
    [InlineData(null, null, "none", null)]
    public void Valid_request_options_pass(string? mode, string? authentication, string? prompt, int? maxAge)
    {
        Assert.Empty(Errors(p =>
        {
            p.ResponseMode = mode;
            p.ClientAuthentication = authentication;
            p.Prompt = prompt;
            p.MaxAge = maxAge is { } s ? TimeSpan.FromSeconds(s) : null;
        }));
    }
}
