using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace OidcRp.Providers;

/// <summary>
/// Names the failure of one metadata GET for operators: the suffix of a <c>discovery_*</c> or <c>jwks_*</c>
/// reason. Decided by exception type and <see cref="HttpRequestError"/>, never by message text, which is
/// localised and changes between runtime versions.
/// </summary>
internal static class FetchFailures
{
    // Each is listed in OidcRpReasons.FetchFailures (checked by a unit test), behind "discovery_" or "jwks_".
    public const string Timeout = "timeout";
    public const string TooLarge = "too_large";
    public const string InvalidJson = "invalid_json";
    public const string Dns = "dns";
    public const string ConnectionRefused = "connection_refused";
    public const string ConnectionClosed = "connection_closed";
    public const string InvalidResponse = "invalid_response";
    public const string Tls = "tls";
    public const string Proxy = "proxy";
    public const string ProtocolError = "protocol_error";
    public const string RedirectInvalid = "redirect_invalid";
    public const string RedirectCrossOrigin = "redirect_cross_origin";
    public const string RedirectLoop = "redirect_loop";
    public const string Other = "other";

    public static string Status(HttpStatusCode status) => Audit.OidcRpReasons.HttpStatusFailure((int)status);

    /// <summary>
    /// Classifies an exception thrown while sending or reading. The caller has already rethrown its own
    /// cancellation; any other cancellation is a time-out (<see cref="HttpClient.Timeout"/> or a handler's).
    /// </summary>
    public static string Classify(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } e => From(e.HttpRequestError),
        HttpIOException { HttpRequestError: not HttpRequestError.Unknown } e => From(e.HttpRequestError),
        OperationCanceledException or TimeoutException => Timeout,
        AuthenticationException => Tls,
        SocketException e => From(e.SocketErrorCode),
        // Handlers other than SocketsHttpHandler leave HttpRequestError unknown; their inner exception may tell.
        HttpRequestException { InnerException: { } inner } => Classify(inner),
        IOException { InnerException: { } inner } when inner is SocketException or AuthenticationException => Classify(inner),
        IOException => ConnectionClosed,
        _ => Other,
    };

    private static string From(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => Dns,
        HttpRequestError.ConnectionError => ConnectionRefused,
        HttpRequestError.SecureConnectionError => Tls,
        HttpRequestError.ResponseEnded => ConnectionClosed,
        HttpRequestError.InvalidResponse => InvalidResponse,
        HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError
            or HttpRequestError.ExtendedConnectNotSupported => ProtocolError,
        HttpRequestError.ProxyTunnelError or HttpRequestError.UserAuthenticationError => Proxy,
        // MaxResponseHeadersLength or a content buffer limit.
        HttpRequestError.ConfigurationLimitExceeded => TooLarge,
        _ => Other,
    };

    private static string From(SocketError error) => error switch
    {
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => Dns,
        SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable => ConnectionRefused,
        SocketError.TimedOut => Timeout,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => ConnectionClosed,
        _ => Other,
    };
}
