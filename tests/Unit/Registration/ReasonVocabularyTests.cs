using System.Text.RegularExpressions;
using OidcRp.Audit;

namespace OidcRp.Tests.Unit.Registration;

/// <summary>One reason vocabulary: the Reasons table of docs/audit.md lists exactly <see cref="OidcRpReasons.All"/>.</summary>
public sealed partial class ReasonVocabularyTests
{
    private static string ReasonsSection()
    {
        var page = OidcRp.Tests.Unit.Docs.DocPages.Read("docs/audit.md");
        var start = page.IndexOf("\n## Reasons\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/audit.md has no Reasons section");
        var end = page.IndexOf("\n#", start + 5, StringComparison.Ordinal);
        return page[start..(end < 0 ? page.Length : end)];
    }

    [GeneratedRegex(@"^\| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [Fact]
    public void The_reasons_table_lists_every_reason_and_no_other()
    {
        var section = ReasonsSection();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(section))
        {
            var reason = row.Groups[1].Value;
            if (reason.Contains("{code}", StringComparison.Ordinal))
            {
                listed.UnionWith(OidcRpReasons.IdpErrorCodes.Append(OidcRpReasons.OtherIdpError).Select(c => reason.Replace("{code}", c, StringComparison.Ordinal)));
            }
            else if (reason.Contains("{failure}", StringComparison.Ordinal))
            {
                var failures = OidcRpReasons.FetchFailures.Concat(Enumerable.Range(100, 500).Select(OidcRpReasons.HttpStatusFailure));
                listed.UnionWith(failures.Select(f => reason.Replace("{failure}", f, StringComparison.Ordinal)));
            }
            else
            {
                Assert.True(listed.Add(reason), $"{reason} is listed twice");
            }
        }

        Assert.Empty(listed.Except(OidcRpReasons.All).Order());
        Assert.Empty(OidcRpReasons.All.Except(listed).Order());
    }

    [Fact]
    public void The_reasons_section_names_every_idp_error_code_and_fetch_failure()
    {
        var section = ReasonsSection();
        Assert.All(OidcRpReasons.IdpErrorCodes.Concat(OidcRpReasons.FetchFailures), c => Assert.Contains($"`{c}`", section, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("access_denied", "idp_error:access_denied")]
    [InlineData("login_required", "idp_error:login_required")]
    [InlineData("registration_not_supported", "idp_error:registration_not_supported")]
    [InlineData("ACCESS_DENIED", "idp_error:other")]
    [InlineData("access_denied ", "idp_error:other")]
    [InlineData("Zx9kq2LmN0pQ7rS4tU1vW8yA3bC6dE5f", "idp_error:other")]
    [InlineData("access_denied\r\nforged", "idp_error:other")]
    [InlineData(null, "idp_error:other")]
    public void Idp_error_codes_come_from_the_registered_list(string? code, string expected)
    {
        Assert.Equal(expected, OidcRpReasons.IdpError(code));
        Assert.Contains(expected, OidcRpReasons.All);
    }

    [Fact]
    public void Http_status_failures_are_bounded()
    {
        Assert.Equal("http_503", OidcRpReasons.HttpStatusFailure(503));
        Assert.Equal("invalid_response", OidcRpReasons.HttpStatusFailure(999));
        Assert.Contains("jwks_http_503", OidcRpReasons.All);
        Assert.Contains("discovery_timeout", OidcRpReasons.All);
    }

    [Fact]
    public void Every_fetch_failure_the_fetcher_names_is_in_the_vocabulary()
    {
        var named = typeof(OidcRp.Providers.FetchFailures).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.NotEmpty(named);
        Assert.Empty(named.Except(OidcRpReasons.FetchFailures));
        Assert.Empty(OidcRpReasons.FetchFailures.Except(named));
    }
}
