using System.Net;
using System.Net.Http.Headers;

namespace OidcRp.Providers;

/// <summary>Result of one metadata GET: the body, or a stable error code.</summary>
internal readonly record struct FetchResult(string? Body, string? ErrorCode)
{
    public static FetchResult Fail(string code) => new(null, code);
}

/// <summary>
/// GETs discovery and JWKS documents: size-capped, same-origin redirects only (at most three),
/// through <see cref="IHttpClientFactory"/>. Never logs a body.
/// </summary>
internal sealed class MetadataFetcher(IHttpClientFactory httpClientFactory)
{
    public const string HttpClientName = "OidcRp.Metadata";
    private const int MaxRedirects = 3;

    public async Task<FetchResult> GetAsync(Uri address, int maxBytes, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        var current = address;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException)
            {
                return FetchResult.Fail("unreachable");
            }

            using (response)
            {
                if (IsRedirect(response.StatusCode))
                {
                    var location = response.Headers.Location;
                    if (location is null)
                    {
                        return FetchResult.Fail("redirect_invalid");
                    }
                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    // A redirect to another origin could hand key material to a third party's server.
                    if (!SameOrigin(current, next))
                    {
                        return FetchResult.Fail("redirect_cross_origin");
                    }
                    current = next;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    return FetchResult.Fail("http_" + ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                if (response.Content.Headers.ContentLength > maxBytes)
                {
                    return FetchResult.Fail("too_large");
                }
                return await ReadCappedAsync(response.Content, maxBytes, cancellationToken);
            }
        }
        return FetchResult.Fail("redirect_loop");
    }

    private static async Task<FetchResult> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        using var body = new MemoryStream();
        int read;
        try
        {
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    return FetchResult.Fail("too_large");
                }
                body.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            return FetchResult.Fail("unreachable");
        }
        catch (HttpRequestException)
        {
            return FetchResult.Fail("unreachable");
        }
        return new FetchResult(System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length), null);
    }

    private static bool IsRedirect(HttpStatusCode code) =>
        code is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
