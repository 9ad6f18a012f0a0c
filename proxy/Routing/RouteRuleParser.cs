using System.Globalization;
using Pushpin.Proxy.Signing;

namespace Pushpin.Proxy.Routing;

/// <summary>Turns one routes line into a <see cref="Route"/>, with upstream's error messages.</summary>
public static class RouteRuleParser
{
    /// <summary>
    /// Parses <paramref name="line"/>. Returns null with <paramref name="error"/> null for a blank
    /// or comment line, null with an error for an invalid line.
    /// </summary>
    /// <param name="baseDirectory">Where relative <c>sig_key=file:</c> paths are resolved (the routes file's folder).</param>
    public static Route? Parse(string line, string baseDirectory, out string? error)
    {
        if (!RouteLineParser.TryParse(line, out var sections, out error))
        {
            return null;
        }
        if (sections.Count == 0)
        {
            return null;
        }
        if (sections.Count < 2)
        {
            error = "must specify condition and at least one target";
            return null;
        }

        var cond = sections[0];
        string? domain = cond.Value.Length == 0 ? null : cond.Value == "*" ? string.Empty : cond.Value.ToLowerInvariant();

        RouteProtocol? protocol = null;
        if (cond.Get("proto") is { } proto)
        {
            protocol = proto switch
            {
                "http" => RouteProtocol.Http,
                "ws" => RouteProtocol.WebSocket,
                _ => null,
            };
            if (protocol is null)
            {
                error = "proto must be set to 'http' or 'ws'";
                return null;
            }
        }

        bool? ssl = null;
        if (cond.Get("ssl") is { } sslValue)
        {
            ssl = sslValue switch
            {
                "yes" => true,
                "no" => false,
                _ => null,
            };
            if (ssl is null)
            {
                error = "ssl must be set to 'yes' or 'no'";
                return null;
            }
        }

        var pathBeg = string.Empty;
        if (cond.Get("path_beg") is { } pb)
        {
            if (pb.Length == 0)
            {
                error = "path_beg cannot be empty";
                return null;
            }
            pathBeg = pb;
        }

        GripSigningKey? sigKey = null;
        if (cond.Get("sig_key") is { } sk)
        {
            try
            {
                sigKey = GripSigningKey.FromConfigString(sk, baseDirectory);
            }
            catch (FormatException e)
            {
                error = "sig_key: " + e.Message;
                return null;
            }
        }

        var pathRemove = 0;
        var pathPrepend = string.Empty;
        if (cond.Get("path_rem") is { } pr)
        {
            pathRemove = ParseIntOrZero(pr);
        }
        if (cond.Get("replace_beg") is { } rb)
        {
            pathRemove = pathBeg.Length;
            pathPrepend = rb;
        }

        var jsonpBasic = false;
        if (cond.Get("jsonp_mode") is { } jm)
        {
            if (jm is not ("basic" or "extended"))
            {
                error = "jsonp_mode must be set to 'basic' or 'extended'";
                return null;
            }
            jsonpBasic = jm == "basic";
        }
        var jsonp = new JsonpConfig
        {
            Basic = jsonpBasic,
            CallbackParam = cond.Get("jsonp_cb") ?? string.Empty,
            BodyParam = cond.Get("jsonp_body") ?? string.Empty,
            DefaultCallback = cond.Get("jsonp_defcb") ?? string.Empty,
            DefaultMethod = cond.Get("jsonp_defmethod") ?? (jsonpBasic ? "POST" : "GET"),
        };

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var h in cond.GetAll("header"))
        {
            var colon = h.IndexOf(':', StringComparison.Ordinal);
            if (colon < 1)
            {
                error = "header must use format 'name:value'";
                return null;
            }
            headers.Add(new(h[..colon], h[(colon + 1)..].TrimStart(' ')));
        }

        var targets = new List<RouteTarget>();
        for (var n = 1; n < sections.Count; n++)
        {
            var target = ParseTarget(sections[n], out error);
            if (target is null)
            {
                return null;
            }
            targets.Add(target);
        }

        var route = new Route
        {
            Domain = domain,
            Protocol = protocol,
            Ssl = ssl,
            PathBeg = pathBeg,
            Id = cond.Get("id") ?? string.Empty,
            ExplicitId = cond.Has("id"),
            SigIss = cond.Get("sig_iss") ?? string.Empty,
            SigKey = sigKey,
            Prefix = cond.Get("prefix") ?? string.Empty,
            OrigHeaders = cond.Has("orig_headers"),
            AsHost = cond.Get("as_host") ?? string.Empty,
            PathRemove = pathRemove,
            PathPrepend = pathPrepend,
            Debug = cond.Has("debug"),
            AutoCrossOrigin = cond.Has("aco"),
            Jsonp = jsonp,
            Session = cond.Has("session"),
            SockJsPath = cond.Get("sockjs") ?? string.Empty,
            SockJsAsPath = cond.Get("sockjs_as_path") ?? string.Empty,
            Headers = headers,
            Grip = !cond.Has("no_grip"),
            Targets = targets,
            LogLevel = cond.Get("log_level") is { } ll ? ParseIntOrZero(ll) : -1,
        };
        if (route.Id.Length == 0)
        {
            route = route with { Id = route.IdFromCondition() };
        }
        return route;
    }

    private static RouteTarget? ParseTarget(RouteSection section, out string? error)
    {
        error = null;
        var value = section.Value;
        RouteTarget target;
        if (value == "test")
        {
            target = new RouteTarget { Kind = RouteTargetKind.Test };
        }
        else if (value.StartsWith("zhttp/", StringComparison.Ordinal))
        {
            target = new RouteTarget { Kind = RouteTargetKind.Custom, ZhttpSpec = value[6..] };
        }
        else if (value.StartsWith("zhttpreq/", StringComparison.Ordinal))
        {
            target = new RouteTarget { Kind = RouteTargetKind.Custom, ZhttpSpec = value[9..], ZhttpReq = true };
        }
        else
        {
            string? host = null;
            var portPos = -1;
            if (value.StartsWith('['))
            {
                var at = value.IndexOf("]:", StringComparison.Ordinal);
                if (at >= 0)
                {
                    host = value[1..at];
                    portPos = at + 2;
                }
            }
            else
            {
                var at = value.IndexOf(':', StringComparison.Ordinal);
                if (at >= 0)
                {
                    host = value[..at];
                    portPos = at + 1;
                }
            }
            if (host is null)
            {
                error = "target bad format";
                return null;
            }
            if (!int.TryParse(value.AsSpan(portPos), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
            {
                error = "target invalid port";
                return null;
            }
            target = new RouteTarget { Kind = RouteTargetKind.Default, ConnectHost = host, ConnectPort = port };
        }

        var ipcFileMode = -1;
        if (section.Get("ipc_file_mode") is { } mode)
        {
            try
            {
                var x = Convert.ToInt32(mode, 8);
                if (x >= 0)
                {
                    ipcFileMode = x;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                // Upstream ignores a bad mode.
            }
        }

        string clientCert = string.Empty, clientKey = string.Empty;
        if (section.Get("client_cert") is { } certFile && !TryReadFile(certFile, out clientCert, out error))
        {
            return null;
        }
        if (section.Get("client_key") is { } keyFile && !TryReadFile(keyFile, out clientKey, out error))
        {
            return null;
        }

        return target with
        {
            Ssl = section.Has("ssl"),
            Trusted = !section.Has("untrusted"),
            TrustConnectHost = section.Has("trust_connect_host"),
            Insecure = section.Has("insecure"),
            Host = section.Get("host") ?? string.Empty,
            Subscriptions = [.. section.GetAll("sub").Where(s => s.Length > 0)],
            OverHttp = section.Has("over_http"),
            OneEvent = section.Has("one_event"),
            IpcFileMode = ipcFileMode,
            ClientCert = clientCert,
            ClientKey = clientKey,
        };
    }

    private static bool TryReadFile(string name, out string data, out string? error)
    {
        try
        {
            data = File.ReadAllText(name);
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            data = string.Empty;
            error = $"failed to open {name}: {e.Message}";
            return false;
        }
    }

    /// <summary>Like Qt's toInt: a bad number reads as 0.</summary>
    private static int ParseIntOrZero(string s) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
