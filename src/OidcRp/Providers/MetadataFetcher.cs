using System.Net;
using System.Net.Http.Headers;

namespace OidcRp.Providers;

/// <summary>Result of one metadata GET: the body, or a stable error code (and the exception, if one was thrown).</summary>
internal readonly record struct FetchResult(string? Body, string? ErrorCode, Exception? Exception = null)
{
    public static FetchResult Fail(string code) => new(null, code);
}

/// <summary>
/// GETs discovery and JWKS documents: size-capped, same-origin redirects only (at most three), one request
/// per hop, through OidcRp's own <see cref="OidcRpHttp"/>. Never logs a body. Every failure is a result
/// with a <see cref="FetchFailures"/> code, whatever threw it; only the caller's cancellation is rethrown.
/// </summary>
internal sealed class MetadataFetcher(OidcRpHttp http)
{
    private const int MaxRedirects = 3;

    public async Task<FetchResult> GetAsync(Uri address, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(address, maxBytes, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Any handler may sit under the client (an app's proxy or test handler); what it throws is a
            // failed fetch, kept by the refresher's bookkeeping, never an exception on a login request.
            return new FetchResult(null, FetchFailures.Classify(e), e);
        }
    }

    private async Task<FetchResult> SendAsync(Uri address, int maxBytes, CancellationToken cancellationToken)
    {
        var client = http.Metadata;
        var current = address;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                if (IsRedirect(response.StatusCode))
                {
                    var location = response.Headers.Location;
                    if (location is null)
                    {
                        return FetchResult.Fail(FetchFailures.RedirectInvalid);
                    }
                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    // A redirect to another origin could hand key material to a third party's server.
                    if (!SameOrigin(current, next))
                    {
                        return FetchResult.Fail(FetchFailures.RedirectCrossOrigin);
                    }
                    current = next;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    return FetchResult.Fail(FetchFailures.Status(response.StatusCode));
                }
                if (response.Content.Headers.ContentLength > maxBytes)
                {
                    return FetchResult.Fail(FetchFailures.TooLarge);
                }
                return await ReadCappedAsync(response.Content, maxBytes, cancellationToken);
            }
        }
        return FetchResult.Fail(FetchFailures.RedirectLoop);
    }

    private static async Task<FetchResult> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        using var body = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > maxBytes)
            {
                return FetchResult.Fail(FetchFailures.TooLarge);
            }
            body.Write(buffer, 0, read);
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
