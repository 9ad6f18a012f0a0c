using System.Globalization;
using Pushpin.Common.Config;

namespace Pushpin.Runner.Settings;

/// <summary>
/// The command lines of the three children, as upstream's runner builds them (internals.md §8.1),
/// adapted to tcp: connmgr gets its zhttp bases as <c>tcp://host:N</c> (it uses N, N+1, N+2).
/// </summary>
internal static class ChildArguments
{
    public static IReadOnlyList<string> Connmgr(PushpinConfig config, RunnerArguments args, int logLevel)
    {
        var list = new List<string>
        {
            $"--log-level={logLevel}",
            $"--buffer-size={config.GetInt("runner", "client_buffer_size", 8192)}",
            $"--stream-maxconn={config.GetInt("runner", "client_maxconn", 50000)}",
        };
        if (config.GetBool("runner", "allow_compression", false))
        {
            list.Add("--compression");
        }

        // Client mode (outbound requests for proxy and handler).
        list.Add("--zserver-stream=" + Base(config, "connmgr_client_out_specs", "connmgr_client_out_stream_specs", "connmgr_client_in_specs"));
        list.Add("--deny-out-internal");

        var usingTls = false;
        if (args.Port is not null)
        {
            if (!ListenPort.TryParse(args.Port, out var port, out var error))
            {
                throw new RunnerSettingsException($"--port: {error}");
            }
            list.Add($"--listen={port},stream");
        }
        else
        {
            // Absent http_port means upstream's shipped 7999; an empty one means none.
            var httpPorts = config.Contains("runner", "http_port")
                ? config.GetListenPorts("runner", "http_port")
                : [new ListenPort(ListenPort.DefaultAddress, 7999)];
            foreach (var port in httpPorts)
            {
                list.Add($"--listen={port},stream");
            }
            foreach (var port in config.GetListenPorts("runner", "https_ports"))
            {
                list.Add($"--listen={port},stream,tls,default-cert=default_{port.Port.ToString(CultureInfo.InvariantCulture)}");
                usingTls = true;
            }
            foreach (var local in config.GetList("runner", "local_ports"))
            {
                list.Add(LocalListen(local));
            }
        }
        if (!list.Any(a => a.StartsWith("--listen=", StringComparison.Ordinal)))
        {
            throw new RunnerSettingsException($"{config.FilePath}: no server ports configured ([runner] http_port, https_ports or local_ports)");
        }

        // Server mode (client connections to proxy and handler).
        list.Add("--zclient-stream=" + Base(config, "connmgr_in_specs", "connmgr_in_stream_specs", "connmgr_out_specs"));
        if (usingTls)
        {
            list.Add("--tls-identities-dir=" + Path.Combine(config.ConfigDirectory, "runner", "certs"));
        }
        return list;
    }

    public static IReadOnlyList<string> Proxy(string configPath, string ipcPrefix, int? portOffset, int logLevel, IReadOnlyList<string> routes)
    {
        var list = new List<string> { $"--config={configPath}", $"--ipc-prefix={ipcPrefix}" };
        if (portOffset is { } offset)
        {
            list.Add($"--port-offset={offset}");
        }
        list.Add($"--loglevel={logLevel}");
        foreach (var route in routes)
        {
            list.Add($"--route={route}");
        }
        return list;
    }

    public static IReadOnlyList<string> Handler(string configPath, string ipcPrefix, int? portOffset, int logLevel)
    {
        var list = new List<string> { $"--config={configPath}" };
        if (portOffset is { } offset)
        {
            list.Add($"--port-offset={offset}");
        }
        list.Add($"--ipc-prefix={ipcPrefix}");
        list.Add($"--loglevel={logLevel}");
        return list;
    }

    /// <summary>
    /// connmgr derives three sockets from one base (N, N+1, N+2), so the three config keys must
    /// follow that pattern; a config that breaks it would leave proxy and connmgr on different
    /// ports, which is refused here with the key to fix.
    /// </summary>
    private static string Base(PushpinConfig config, string firstKey, string secondKey, string thirdKey)
    {
        var first = config.GetSocketSpec("proxy", firstKey) ?? throw config.Error("proxy", firstKey, "must be set");
        PushpinConfig.TryParseTcpSpec(first, out var host, out var port);
        var second = config.GetSocketSpec("proxy", secondKey);
        var third = config.GetSocketSpec("proxy", thirdKey);
        Check(config, firstKey, first, secondKey, second, $"tcp://{host}:{port + 1}");
        Check(config, firstKey, first, thirdKey, third, $"tcp://{host}:{port + 2}");
        return first;
    }

    private static void Check(PushpinConfig config, string firstKey, string first, string key, string? actual, string expected)
    {
        if (actual == expected)
        {
            return;
        }
        // Blame the line the user wrote: the base when the other key is only our default.
        var userSetKey = config.TryGetValue("proxy", key, out var v) && v.Line > 0;
        throw userSetKey
            ? config.Error("proxy", key, $"must be {expected} (connmgr uses ports N, N+1, N+2 from [proxy] {firstKey} = {first})")
            : config.Error("proxy", firstKey, $"'{first}' also needs [proxy] {key} = {expected} (connmgr uses ports N, N+1, N+2)");
    }

    // "path?mode=777&user=u&group=g" → "--listen=path,local,stream,mode=777,user=u,group=g".
    private static string LocalListen(string spec)
    {
        var s = spec.StartsWith("unix:", StringComparison.Ordinal) ? spec[5..] : spec;
        var q = s.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? s : s[..q];
        var arg = $"--listen={path},local,stream";
        if (q >= 0)
        {
            foreach (var pair in s[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? pair : pair[..eq];
                if (name is "mode" or "user" or "group")
                {
                    arg += "," + pair;
                }
            }
        }
        return arg;
    }
}
