using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Providers;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>
/// Every way a metadata GET can fail ends as a result with a stable code (one request, nothing thrown),
/// decided by exception type and <see cref="HttpRequestError"/>; only the caller's cancellation is rethrown.
/// </summary>
public sealed class FetchFailureTests
{
    private static readonly Uri Address = new("https://op.example/jwks");

    /// <summary>A custom exception an app's handler might throw (Polly's BrokenCircuitException, say).</summary>
    private sealed class CircuitOpenException() : Exception("circuit open");

    public static TheoryData<Exception, string> Thrown => new()
    {
        { new HttpRequestException(HttpRequestError.NameResolutionError), "dns" },
        { new HttpRequestException(HttpRequestError.ConnectionError), "connection_refused" },
        { new HttpRequestException(HttpRequestError.SecureConnectionError), "tls" },
        { new HttpRequestException(HttpRequestError.ResponseEnded), "connection_closed" },
        { new HttpRequestException(HttpRequestError.InvalidResponse), "invalid_response" },
        { new HttpRequestException(HttpRequestError.HttpProtocolError), "protocol_error" },
        { new HttpRequestException(HttpRequestError.ProxyTunnelError), "proxy" },
        { new HttpRequestException(HttpRequestError.ConfigurationLimitExceeded), "too_large" },
        { new HttpRequestException("", new AuthenticationException()), "tls" },
        { new HttpRequestException("", new SocketException((int)SocketError.HostNotFound)), "dns" },
        { new HttpRequestException("", new SocketException((int)SocketError.ConnectionRefused)), "connection_refused" },
        { new HttpRequestException("no error and no inner exception"), "other" },
        { new TaskCanceledException("HttpClient.Timeout", new TimeoutException()), "timeout" },
        { new IOException("reset"), "connection_closed" },
        { new CircuitOpenException(), "other" },
        { new InvalidOperationException(), "other" },
    };

    [Theory]
    [MemberData(nameof(Thrown))]
    public async Task An_exception_from_the_handler_is_a_classified_failure_after_one_request(Exception thrown, string code)
    {
        var handler = new StubHandler(_ => throw thrown);

        var result = await FetchAsync(handler);

        Assert.Equal((null, code), (result.Body, result.ErrorCode));
        Assert.Same(thrown, result.Exception);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task An_exception_while_reading_the_body_is_classified_too()
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new ThrowingStream(new HttpIOException(HttpRequestError.ResponseEnded))),
        });

        var result = await FetchAsync(handler);

        Assert.Equal("connection_closed", result.ErrorCode);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "http_503")]
    [InlineData(HttpStatusCode.InternalServerError, "http_500")]
    [InlineData(HttpStatusCode.NotFound, "http_404")]
    [InlineData(HttpStatusCode.TooManyRequests, "http_429")]
    public async Task An_error_status_is_one_request_and_names_the_status(HttpStatusCode status, string code)
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(status));

        var result = await FetchAsync(handler);

        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(1, handler.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_cap_is_too_large_with_or_without_a_content_length(bool declared)
    {
        var body = new string('x', 2048);
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = declared ? new StringContent(body) : new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(body)), 64),
        });

        var result = await FetchAsync(handler, maxBytes: 1024);

        Assert.Equal("too_large", result.ErrorCode);
    }

    [Theory]
    [InlineData("https://elsewhere.example/jwks", "redirect_cross_origin", 1)]
    [InlineData(null, "redirect_invalid", 1)]
    [InlineData("/jwks", "redirect_loop", 4)]
    public async Task Redirects_are_followed_on_the_same_origin_only_one_request_per_hop(string? location, string code, int requests)
    {
        var handler = new StubHandler(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.Found);
            if (location is not null)
            {
                response.Headers.Location = new Uri(location, UriKind.RelativeOrAbsolute);
            }
            return response;
        });

        var result = await FetchAsync(handler);

        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(requests, handler.Requests);
    }

    [Fact]
    public async Task The_callers_cancellation_is_rethrown_not_classified()
    {
        using var cancel = new CancellationTokenSource();
        var handler = new StubHandler(_ =>
        {
            cancel.Cancel();
            throw new TaskCanceledException();
        });
        using var http = new OidcRpHttp(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new MetadataFetcher(http).GetAsync(Address, 1024, cancel.Token));
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_connection_refused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await FetchRealAsync(new Uri($"http://127.0.0.1:{port}/jwks"));

        Assert.Equal("connection_refused", result.ErrorCode);
    }

    [Theory]
    [InlineData("", "connection_closed")]
    [InlineData("not http at all\r\n\r\n", "invalid_response")]
    public async Task A_server_that_hangs_up_or_speaks_nonsense_is_named(string answer, string code)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        // Every connection gets the same answer: SocketsHttpHandler itself re-sends a GET whose connection
        // closed before any response byte (up to three times), which is the runtime's, not a retry policy.
        var server = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096], stop.Token);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), stop.Token);
            }
        });

        var result = await FetchRealAsync(new Uri($"http://127.0.0.1:{port}/jwks"));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);

        Assert.Equal(code, result.ErrorCode);
    }

    private static async Task<FetchResult> FetchAsync(StubHandler handler, int maxBytes = 64 * 1024)
    {
        using var http = new OidcRpHttp(handler);
        return await new MetadataFetcher(http).GetAsync(Address, maxBytes, CancellationToken.None);
    }

    private static async Task<FetchResult> FetchRealAsync(Uri address)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new OidcRpOptions());
        using var http = OidcRpHttp.Create(new ServiceCollection().BuildServiceProvider(), options);
        return await new MetadataFetcher(http).GetAsync(address, 64 * 1024, CancellationToken.None);
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return Task.FromResult(respond(request));
        }
    }

    private sealed class ThrowingStream(Exception exception) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw exception;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw exception;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
