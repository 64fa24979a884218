using System.Net;
using System.Text.RegularExpressions;

namespace OidcRp.Tests.Support;

/// <summary>One HTML form: its id, action (HTML-decoded) and the values of its named inputs.</summary>
public sealed record HtmlForm(string? Id, string Action, Dictionary<string, string> Fields);

/// <summary>Reads the forms of a page well enough for login pages and form_post responses.</summary>
public static partial class HtmlForms
{
    public static IReadOnlyList<HtmlForm> Parse(string html)
    {
        var forms = new List<HtmlForm>();
        foreach (Match form in FormRegex().Matches(html))
        {
            var attributes = Attributes(form.Groups[1].Value);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match input in InputRegex().Matches(form.Groups[2].Value))
            {
                var a = Attributes(input.Groups[1].Value);
                if (a.TryGetValue("name", out var name) && a.GetValueOrDefault("type") is not ("submit" or "button" or "checkbox"))
                {
                    fields[name] = a.GetValueOrDefault("value") ?? "";
                }
            }
            forms.Add(new HtmlForm(attributes.GetValueOrDefault("id"), attributes.GetValueOrDefault("action") ?? "", fields));
        }
        return forms;
    }

    private static Dictionary<string, string> Attributes(string tag)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in AttributeRegex().Matches(tag))
        {
            var value = m.Groups[3].Success ? m.Groups[3].Value : m.Groups[4].Success ? m.Groups[4].Value : m.Groups[5].Value;
            result[m.Groups[1].Value] = WebUtility.HtmlDecode(value);
        }
        return result;
    }

    [GeneratedRegex(@"<form\b([^>]*)>(.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormRegex();

    [GeneratedRegex(@"<input\b([^>]*)/?>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InputRegex();

    [GeneratedRegex(@"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(""([^""]*)""|'([^']*)'|([^\s""'>]+))")]
    private static partial Regex AttributeRegex();
}
