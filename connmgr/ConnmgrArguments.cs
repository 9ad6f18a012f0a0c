using System.Globalization;
using Pushpin.Connmgr.Transport;

namespace Pushpin.Connmgr;

/// <summary>The command line, as upstream's connmgr (condure) spells it.</summary>
internal sealed class ConnmgrArguments
{
    public List<ListenSpec> Listen { get; } = [];

    public string? ZclientStream { get; private set; }

    public string? ZserverStream { get; private set; }

    public int BufferSize { get; private set; } = 8192;

    public int StreamMaxConnections { get; private set; } = 10000;

    public string Id { get; private set; } = "connmgr";

    /// <summary>0 error, 1 warning, 2 info (default), 3 debug, 4 trace — as upstream.</summary>
    public int LogLevel { get; private set; } = 2;

    public bool DenyOutInternal { get; private set; }

    /// <summary>Seconds a request head may take once it started (ours; upstream has no flag).</summary>
    public double HeaderTimeoutSeconds { get; private set; } = 30;

    public bool Help { get; private set; }

    public const string Usage = """
        Usage: pushpin-connmgr [options]

          --listen=ADDR:PORT,stream   accept HTTP clients here (repeatable; IPv6 as [::1]:PORT)
          --zclient-stream=SPEC       zhttp requester base tcp://HOST:N (PUSH N, ROUTER N+1, SUB N+2)
          --zserver-stream=SPEC       zhttp responder base for client mode (PULL N, ROUTER N+1, PUB N+2)
          --buffer-size=N             request head limit and response credits (default 8192)
          --stream-maxconn=N          maximum client connections (default 10000)
          --id=ID                     instance id: zhttp 'from' and ROUTER identity (default connmgr)
          --log-level=N               0 error, 1 warn, 2 info, 3 debug, 4 trace (default 2)
          --deny-out-internal         client mode: refuse private and loopback destinations
          --header-timeout=SECONDS    time allowed to send a request head (default 30)
          --help                      show this text
        """;

    /// <summary>Parses <c>--name=value</c> or <c>--name value</c>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static ConnmgrArguments Parse(IReadOnlyList<string> args)
    {
        var result = new ConnmgrArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"unexpected argument '{arg}'");
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            string Value()
            {
                if (eq >= 0)
                {
                    return arg[(eq + 1)..];
                }
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"--{name} needs a value");
                }
                return args[++i];
            }
            switch (name)
            {
                case "help":
                    result.Help = true;
                    break;
                case "deny-out-internal":
                    result.DenyOutInternal = true;
                    break;
                case "listen":
                    result.Listen.Add(ListenSpec.Parse(Value()));
                    break;
                case "zclient-stream":
                    result.ZclientStream = Value();
                    break;
                case "zserver-stream":
                    result.ZserverStream = Value();
                    break;
                case "buffer-size":
                    result.BufferSize = PositiveInt(name, Value(), 256);
                    break;
                case "stream-maxconn":
                    result.StreamMaxConnections = PositiveInt(name, Value(), 1);
                    break;
                case "id":
                    result.Id = Value();
                    if (result.Id.Length == 0 || result.Id.Contains(' ', StringComparison.Ordinal))
                    {
                        throw new FormatException("--id must be non-empty and contain no spaces");
                    }
                    break;
                case "log-level":
                case "loglevel":
                    result.LogLevel = PositiveInt(name, Value(), 0);
                    break;
                case "header-timeout":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                    {
                        throw new FormatException("--header-timeout must be a positive number of seconds");
                    }
                    result.HeaderTimeoutSeconds = seconds;
                    break;
                default:
                    throw new FormatException($"unknown option --{name} (see --help)");
            }
        }
        return result;
    }

    private static int PositiveInt(string name, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min)
        {
            throw new FormatException($"--{name} must be an integer >= {min}, got '{value}'");
        }
        return n;
    }
}
