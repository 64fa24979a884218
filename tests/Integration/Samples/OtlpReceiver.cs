using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OidcRp.Tests.Integration.Samples;

/// <summary>
/// A small OTLP/HTTP collector on 127.0.0.1 (OTLP 1.x, <c>http/protobuf</c>): accepts <c>POST /v1/metrics</c> and
/// <c>POST /v1/traces</c>, keeps each request body, and reads from them just enough of the protobuf messages
/// (opentelemetry-proto's <c>ExportMetricsServiceRequest</c> and <c>ExportTraceServiceRequest</c>) to name the
/// scopes, their instruments and their spans.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, byte[] Body)> _requests = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public IReadOnlyList<string> Paths => [.. _requests.Select(r => r.Path)];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        async Task<IResult> Receive(HttpContext context)
        {
            using var copy = new MemoryStream();
            var body = context.Request.Headers.ContentEncoding == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
            await body.CopyToAsync(copy);
            receiver._requests.Enqueue((context.Request.Path, copy.ToArray()));
            // An empty Export*ServiceResponse: everything accepted.
            return Results.Bytes([], "application/x-protobuf");
        }
        app.MapPost("/v1/metrics", (Delegate)Receive);
        app.MapPost("/v1/traces", (Delegate)Receive);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return receiver;
    }

    /// <summary>The instruments received per scope (meter) name.</summary>
    public ILookup<string, string> Instruments() =>
        Scoped("/v1/metrics", metric => Protobuf.String(metric, 1)); // Metric.name

    /// <summary>The spans received per scope (activity source) name, with their string attributes.</summary>
    public ILookup<string, (string Name, IReadOnlyDictionary<string, string> Attributes)> Spans() =>
        Scoped("/v1/traces", span => (Protobuf.String(span, 5), Attributes(span))); // Span.name, Span.attributes

    // ExportXServiceRequest.resource_x (1) → ResourceX.scope_x (2) → ScopeX.scope (1, InstrumentationScope.name 1)
    // and ScopeX.metrics / ScopeX.spans (2): the same shape for both signals.
    private ILookup<string, T> Scoped<T>(string path, Func<ReadOnlyMemory<byte>, T> item) =>
        (from request in _requests
         where request.Path == path
         from resource in Protobuf.Messages(request.Body, 1)
         from scoped in Protobuf.Messages(resource, 2)
         let scope = Protobuf.String(Protobuf.Messages(scoped, 1).FirstOrDefault(), 1)
         from one in Protobuf.Messages(scoped, 2)
         select (scope, item(one))).ToLookup(p => p.scope, p => p.Item2);

    // Span.attributes (9): KeyValue { key 1, value 2: AnyValue { string_value 1 } }; other value kinds are skipped.
    private static IReadOnlyDictionary<string, string> Attributes(ReadOnlyMemory<byte> span) =>
        Protobuf.Messages(span, 9)
            .Select(kv => (Key: Protobuf.String(kv, 1), Value: Protobuf.Messages(kv, 2).Select(v => Protobuf.Messages(v, 1).FirstOrDefault()).FirstOrDefault()))
            .Where(kv => !kv.Value.IsEmpty)
            .ToDictionary(kv => kv.Key, kv => System.Text.Encoding.UTF8.GetString(kv.Value.Span));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>The protobuf wire format, read only: the length-delimited fields of one message (protobuf encoding spec).</summary>
internal static class Protobuf
{
    public static List<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int field)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        var span = message.Span;
        var at = 0;
        while (at < span.Length)
        {
            var tag = Varint(span, ref at);
            switch ((int)(tag & 7))
            {
                case 0:
                    Varint(span, ref at);
                    break;
                case 1:
                    at += 8;
                    break;
                case 2:
                    var length = (int)Varint(span, ref at);
                    if ((int)(tag >> 3) == field)
                    {
                        found.Add(message.Slice(at, length));
                    }
                    at += length;
                    break;
                case 5:
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {tag & 7} at {at}");
            }
        }
        return found;
    }

    public static string String(ReadOnlyMemory<byte> message, int field) =>
        Messages(message, field).Select(m => System.Text.Encoding.UTF8.GetString(m.Span)).FirstOrDefault() ?? "";

    private static ulong Varint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
