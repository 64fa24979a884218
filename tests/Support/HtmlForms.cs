using System.Net;
using System.Text.RegularExpressions;

namespace OidcRp.Tests.Support;

/// <summary>
/// One HTML form: its id, action (HTML-decoded), the values of its named inputs, and the name and value
/// of its first named submit control (what a browser sends when that button is clicked), if any.
/// </summary>
public sealed record HtmlForm(string? Id, string Action, Dictionary<string, string> Fields, KeyValuePair<string, string>? Submit = null)
{
    /// <summary>The fields a browser posts when the first submit control is clicked.</summary>
    public Dictionary<string, string> Submission()
    {
        var fields = new Dictionary<string, string>(Fields, StringComparer.Ordinal);
        if (Submit is { } submit)
        {
            fields.TryAdd(submit.Key, submit.Value);
        }
        return fields;
    }
}

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
            KeyValuePair<string, string>? submit = null;
            foreach (Match control in ControlRegex().Matches(form.Groups[2].Value))
            {
                var a = Attributes(control.Groups[2].Value);
                var isButton = control.Groups[1].Value.Equals("button", StringComparison.OrdinalIgnoreCase);
                var type = a.GetValueOrDefault("type")?.ToLowerInvariant() ?? (isButton ? "submit" : "text");
                if (!a.TryGetValue("name", out var name))
                {
                    continue;
                }
                if (type == "submit")
                {
                    submit ??= new(name, a.GetValueOrDefault("value") ?? "");
                }
                else if (!isButton && type is not ("button" or "checkbox" or "radio" or "image" or "reset"))
                {
                    fields[name] = a.GetValueOrDefault("value") ?? "";
                }
            }
            forms.Add(new HtmlForm(attributes.GetValueOrDefault("id"), attributes.GetValueOrDefault("action") ?? "", fields, submit));
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

    [GeneratedRegex(@"<(input|button)\b([^>]*)/?>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ControlRegex();

    [GeneratedRegex(@"([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(""([^""]*)""|'([^']*)'|([^\s""'>]+))")]
    private static partial Regex AttributeRegex();
}
