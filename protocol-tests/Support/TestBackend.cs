using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pushpin.ProtocolTests.Support;

/// <summary>
/// A real HTTP backend for end-to-end tests: ASP.NET Core (Kestrel) on 127.0.0.1 and a free
/// port. Tests add their own endpoints through <paramref name="map"/>; every request seen is
/// recorded with its headers.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The target for a routes line: <c>127.0.0.1:PORT</c>.</summary>
    public string Target => $"127.0.0.1:{Port}";

    public List<RecordedRequest> Requests { get; } = [];

    /// <param name="port">0 = a free port; else that port (a backend restarted on the same address).</param>
    public static async Task<TestBackend> StartAsync(Action<WebApplication> map, int port = 0)
    {
        port = port == 0 ? FreePorts.One() : port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var backend = new TestBackend(app, port);
        app.Use(async (ctx, next) =>
        {
            lock (backend.Requests)
            {
                backend.Requests.Add(new RecordedRequest(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString,
                    ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            }
            await next(ctx);
        });
        map(app);
        await app.StartAsync();
        return backend;
    }

    public RecordedRequest LastRequest
    {
        get
        {
            lock (Requests)
            {
                return Requests[^1];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string PathAndQuery, Dictionary<string, string> Headers);
