namespace OidcRp;

/// <summary>Keeps redirects after sign-in and sign-out on this site (open-redirect defence).</summary>
internal static class ReturnUrls
{
    /// <summary>
    /// True for a path on this site: starts with one '/', is not protocol-relative (<c>//host</c>),
    /// has no backslash (browsers read <c>/\host</c> as <c>//host</c>) and no control character.
    /// </summary>
    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
        {
            return false;
        }
        if (url.Length > 1 && (url[1] == '/' || url[1] == '\\'))
        {
            return false;
        }
        foreach (var c in url)
        {
            if (c == '\\' || char.IsControl(c))
            {
                return false;
            }
        }
        // Encoded slashes or backslashes in the path can be decoded by a later hop into "//" or "/\".
        var pathEnd = url.IndexOfAny(['?', '#']);
        var path = pathEnd < 0 ? url : url[..pathEnd];
        return !path.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            && !path.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            && url.Length <= 2048;
    }

    /// <summary>The url when it is local, otherwise <c>/</c>.</summary>
    public static string LocalOrRoot(string? url) => IsLocal(url) ? url! : "/";
}
