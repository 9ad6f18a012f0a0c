using System.Globalization;
using Pushpin.Common.Hosting;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr;

/// <summary>
/// connmgr's own flags, as upstream's connmgr (condure) spells them. The shared ones
/// (<c>--loglevel</c>/<c>--log-level</c>, <c>--logfile</c>, <c>--help</c>...) are
/// <see cref="DaemonArguments"/>'s.
/// </summary>
internal sealed class ConnmgrArguments
{
    /// <summary>Flags that take a value (so <c>--listen ADDR</c> works as well as <c>--listen=ADDR</c>).</summary>
    public static readonly string[] ValueOptions =
    [
        "listen", "zclient-stream", "zserver-stream", "buffer-size", "stream-maxconn", "id",
        "header-timeout", "idle-timeout", "tls-identities-dir", "stream-timeout",
        "zclient-req", "req-timeout", "body-buffer-size", "req-maxconn",
    ];

    /// <summary>Every connmgr flag; anything else is a usage error.</summary>
    public static readonly string[] KnownOptions = [.. ValueOptions, "deny-out-internal", "compression"];

    public const string Usage = """
          --listen=SPEC               Accept HTTP clients here (repeatable): [ADDR:]PORT[,tls][,default-cert=NAME]
                                      (IPv6 as [::1]:PORT) or PATH,local[,mode=OCTAL][,user=U][,group=G]
                                      for a unix socket (also unix:PATH). ',stream' is the default.
          --tls-identities-dir=DIR    NAME.crt/NAME.key PEM pairs for tls listeners (default .).
          --zclient-stream=SPEC       zhttp requester base tcp://HOST:N (PUSH N, ROUTER N+1, SUB N+2).
          --zclient-req=SPEC          zhttp req-mode DEALER (bound; repeatable) for ',req' listeners.
          --req-timeout=SECONDS       req mode: time allowed for a whole request and its response (default 30).
          --body-buffer-size=N        req mode: largest request or response body (default 100000).
          --req-maxconn=N             req mode: maximum client connections (default 100).
          --zserver-stream=SPEC       zhttp responder base for client mode (PULL N, ROUTER N+1, PUB N+2).
          --buffer-size=N             Request head limit and response credits (default 8192).
          --stream-maxconn=N          Maximum client connections (default 10000).
          --id=ID                     Instance id: zhttp 'from' and ROUTER identity (default connmgr).
          --deny-out-internal         Client mode: refuse private and loopback destinations.
          --header-timeout=SECONDS    Time allowed to send a request head (default 30).
          --idle-timeout=SECONDS      Close keep-alive connections idle this long (default 60).
          --compression               Negotiate permessage-deflate with WebSocket clients.
          --stream-timeout=SECONDS    Client mode: backend silence allowed in an exchange (default 1800).

        """;

    public List<ListenSpec> Listen { get; } = [];

    public string? ZclientStream { get; private set; }

    public string? ZserverStream { get; private set; }

    /// <summary>Where the req-mode DEALER binds (<c>--zclient-req</c>, repeatable as upstream).</summary>
    public List<string> ZclientReq { get; } = [];

    /// <summary>req mode: seconds for a whole request and its response (upstream's <c>--req-timeout</c>).</summary>
    public double ReqTimeoutSeconds { get; private set; } = 30;

    /// <summary>req mode: largest request or response body (upstream's <c>--body-buffer-size</c>).</summary>
    public int BodyBufferSize { get; private set; } = 100000;

    /// <summary>req mode: client connections on <c>,req</c> listeners (upstream's <c>--req-maxconn</c>).</summary>
    public int ReqMaxConnections { get; private set; } = 100;

    public int BufferSize { get; private set; } = 8192;

    public int StreamMaxConnections { get; private set; } = 10000;

    public string Id { get; private set; } = "connmgr";

    /// <summary>Directory of <c>NAME.crt</c>/<c>NAME.key</c> pairs for <c>,tls</c> listeners (upstream's default: the working directory).</summary>
    public string TlsIdentitiesDir { get; private set; } = ".";

    public bool DenyOutInternal { get; private set; }

    /// <summary>Negotiate permessage-deflate with WebSocket clients.</summary>
    public bool Compression { get; private set; }

    /// <summary>Seconds a request head may take once it started (ours; upstream has no flag).</summary>
    public double HeaderTimeoutSeconds { get; private set; } = 30;

    /// <summary>Seconds a keep-alive connection may wait for its next request.</summary>
    public double IdleTimeoutSeconds { get; private set; } = 60;

    /// <summary>Client mode: backend silence allowed during an exchange (upstream's <c>--stream-timeout</c>).</summary>
    public double StreamTimeoutSeconds { get; private set; } = 1800;

    /// <summary>
    /// Reads connmgr's flags out of the parsed command line; throws <see cref="FormatException"/>
    /// with a one-line reason for an unknown flag, a stray argument, a bad value or nothing to do.
    /// </summary>
    public static ConnmgrArguments From(DaemonArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Positionals.Count > 0)
        {
            throw new FormatException($"unexpected argument '{arguments.Positionals[0]}'");
        }
        var result = new ConnmgrArguments();
        foreach (var (name, values) in arguments.Options)
        {
            foreach (var value in values)
            {
                result.Apply(name, value);
            }
        }
        if (result.Listen.Any(l => !l.Req) && result.ZclientStream is null)
        {
            throw new FormatException("--listen needs --zclient-stream");
        }
        if (result.Listen.Any(l => l.Req) && result.ZclientReq.Count == 0)
        {
            throw new FormatException("a ',req' --listen needs --zclient-req");
        }
        if (result.Listen.Count == 0 && result.ZserverStream is null)
        {
            throw new FormatException("nothing to do (give --listen and --zclient-stream, and/or --zserver-stream)");
        }
        return result;
    }

    private void Apply(string name, string value)
    {
        switch (name)
        {
            case "deny-out-internal":
                DenyOutInternal = true;
                break;
            case "compression":
                Compression = true;
                break;
            case "tls-identities-dir":
                TlsIdentitiesDir = value.Length > 0 ? value : throw new FormatException("--tls-identities-dir needs a directory");
                break;
            case "listen":
                Listen.Add(ListenSpec.Parse(value));
                break;
            case "zclient-stream":
                ZclientStream = value;
                break;
            case "zclient-req":
                ZclientReq.Add(value.Length > 0 ? value : throw new FormatException("--zclient-req needs a spec"));
                break;
            case "req-timeout":
                ReqTimeoutSeconds = PositiveSeconds(name, value);
                break;
            case "body-buffer-size":
                BodyBufferSize = PositiveInt(name, value, 1);
                break;
            case "req-maxconn":
                ReqMaxConnections = PositiveInt(name, value, 1);
                break;
            case "zserver-stream":
                ZserverStream = value;
                break;
            case "buffer-size":
                BufferSize = PositiveInt(name, value, 256);
                break;
            case "stream-maxconn":
                StreamMaxConnections = PositiveInt(name, value, 1);
                break;
            case "id":
                if (value.Length == 0 || value.Contains(' ', StringComparison.Ordinal))
                {
                    throw new FormatException("--id must be non-empty and contain no spaces");
                }
                Id = value;
                break;
            case "header-timeout":
                HeaderTimeoutSeconds = PositiveSeconds(name, value);
                break;
            case "idle-timeout":
                IdleTimeoutSeconds = PositiveSeconds(name, value);
                break;
            case "stream-timeout":
                StreamTimeoutSeconds = PositiveSeconds(name, value);
                break;
            default:
                throw new FormatException($"unknown option --{name} (see --help)");
        }
    }

    private static double PositiveSeconds(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && double.IsFinite(seconds)
            ? seconds
            : throw new FormatException($"--{name} must be a positive number of seconds, got '{value}'");

    private static int PositiveInt(string name, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min)
        {
            throw new FormatException($"--{name} must be an integer >= {min}, got '{value}'");
        }
        return n;
    }
}
