using System.Globalization;
using System.Text.RegularExpressions;

namespace Pushpin.Common.Config;

/// <summary>
/// A loaded <c>pushpin.toml</c> or upstream <c>pushpin.conf</c>: three layers (our built-in
/// internal socket defaults, the <c>[global] include</c> file, the main file; later wins), with
/// <c>{libdir}</c>/<c>{rundir}</c>/<c>{ipc_prefix}</c> expansion and <c>port_offset</c> applied
/// on every lookup. Immutable after loading, so it can be shared across threads.
/// </summary>
/// <remarks>
/// Every problem is a <see cref="ConfigException"/> naming file, line, key and reason; daemons
/// print that one line and exit. Unknown keys do not fail (upstream ignores them) but land in
/// <see cref="Warnings"/> so typos get noticed.
/// </remarks>
public sealed partial class PushpinConfig
{
    private const string DefaultIpcPrefix = "pushpin-";
    private const string DefaultRunDir = "run";

    // connmgr_* keys accept their 1.x condure_* spelling too; upstream merges both lists.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["connmgr_in_specs"] = "condure_in_specs",
        ["connmgr_in_stream_specs"] = "condure_in_stream_specs",
        ["connmgr_out_specs"] = "condure_out_specs",
        ["connmgr_client_out_specs"] = "condure_client_out_specs",
        ["connmgr_client_out_stream_specs"] = "condure_client_out_stream_specs",
        ["connmgr_client_in_specs"] = "condure_client_in_specs",
    };

    private readonly Dictionary<(string Section, string Key), ConfigValue> _values;
    private readonly List<string> _warnings;

    private PushpinConfig(string filePath, string configDirectory, ConfigFormat format, Dictionary<(string, string), ConfigValue> values, List<string> warnings, PushpinConfigOptions options)
    {
        FilePath = filePath;
        ConfigDirectory = configDirectory;
        Format = format;
        _values = values;
        _warnings = warnings;

        RunDir = RawOrDefault("global", "rundir") ?? RawOrDefault("runner", "rundir") ?? DefaultRunDir;
        IpcPrefix = options.IpcPrefix ?? RawOrDefault("global", "ipc_prefix") ?? DefaultIpcPrefix;
        LibDir = options.LibDir ?? RawOrDefault("global", "libdir") ?? AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        PortOffset = options.PortOffset ?? ParseInt("global", "port_offset", 0, applyOffset: false);
        if (RawOrDefault("global", "rundir") is null && RawOrDefault("runner", "rundir") is not null)
        {
            _warnings.Add($"{Where("runner", "rundir")}: [runner] rundir is deprecated; put it in [global]");
        }
    }

    /// <summary>The file as the caller named it (used in messages), or <c>(built-in)</c>.</summary>
    public string FilePath { get; }

    /// <summary>Absolute directory of the config file; relative paths in values are resolved against it.</summary>
    public string ConfigDirectory { get; }

    public ConfigFormat Format { get; }

    /// <summary>Added to every <c>tcp://host:PORT</c> and to <c>push_in_http_port</c>.</summary>
    public int PortOffset { get; }

    public string IpcPrefix { get; }

    /// <summary><c>[global] rundir</c> as written (relative to the working directory, as upstream).</summary>
    public string RunDir { get; }

    public string LibDir { get; }

    /// <summary>Non-fatal findings (unknown keys, deprecated spellings) for the caller to log.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Loads a file; the format comes from the extension (.toml / .conf, .ini) or, failing that, the content.</summary>
    public static PushpinConfig Load(string path, PushpinConfigOptions? options = null)
    {
        options ??= new PushpinConfigOptions();
        var text = ReadFile(path, path);
        var fullPath = Path.GetFullPath(path);
        return Build(text, path, Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory(), options);
    }

    /// <summary>Loads from text (tests, tools); <paramref name="fileName"/> is used in messages and for relative paths.</summary>
    public static PushpinConfig Parse(string text, string fileName, PushpinConfigOptions? options = null)
    {
        options ??= new PushpinConfigOptions();
        var dir = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
        return Build(text, fileName, dir, options);
    }

    /// <summary>Built-in defaults only (a daemon started without any config file).</summary>
    public static PushpinConfig Defaults(PushpinConfigOptions? options = null)
    {
        options ??= new PushpinConfigOptions();
        var values = BuiltInLayer();
        return new PushpinConfig(ConfigValue.BuiltIn, Directory.GetCurrentDirectory(), ConfigFormat.Toml, values, [], options);
    }

    /// <summary>True when the key has a value (in the file or built in).</summary>
    public bool Contains(string section, string key) => TryGetValue(section, key, out _);

    /// <summary>The raw value and its origin.</summary>
    public bool TryGetValue(string section, string key, out ConfigValue value) => _values.TryGetValue((section, key), out value);

    /// <summary>Expanded text, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public string GetString(string section, string key, string defaultValue = "") =>
        TryGetValue(section, key, out var v) ? Expand(v.Raw) : defaultValue;

    /// <summary>A whole number; absent or empty gives <paramref name="defaultValue"/>. <c>[handler] push_in_http_port</c> gets port_offset.</summary>
    public int GetInt(string section, string key, int defaultValue) => ParseInt(section, key, defaultValue, applyOffset: true);

    /// <summary>A TCP port (1..65535, after port_offset for <c>push_in_http_port</c>).</summary>
    public int GetPort(string section, string key, int defaultValue)
    {
        var port = GetInt(section, key, defaultValue);
        if (Contains(section, key) && port is < 1 or > 65535)
        {
            throw Error(section, key, $"'{_values[(section, key)].Raw}' is not a valid port");
        }
        return port;
    }

    /// <summary>true/false, 1/0, yes/no, on/off; absent or empty gives <paramref name="defaultValue"/>.</summary>
    public bool GetBool(string section, string key, bool defaultValue)
    {
        if (!TryGetValue(section, key, out var v) || string.IsNullOrWhiteSpace(v.Raw))
        {
            return defaultValue;
        }
        return v.Raw.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw Error(section, key, $"'{v.Raw}' is not a boolean (true or false)"),
        };
    }

    /// <summary>Comma-separated items, trimmed, empties dropped; <paramref name="defaultValue"/> (or empty) when absent.</summary>
    public IReadOnlyList<string> GetList(string section, string key, IReadOnlyList<string>? defaultValue = null)
    {
        if (!TryGetValue(section, key, out var v))
        {
            return defaultValue ?? [];
        }
        return SplitList(Expand(v.Raw));
    }

    /// <summary>
    /// The specs of a socket a daemon will open: expanded, port-offset, tcp only. An <c>ipc://</c>
    /// spec is refused (NetMQ cannot serve Unix sockets) with a message that suggests a tcp spec.
    /// For <c>connmgr_*</c> keys the 1.x <c>condure_*</c> spelling is merged in.
    /// </summary>
    public IReadOnlyList<string> GetSocketSpecs(string section, string key)
    {
        var specs = new List<string>();
        foreach (var s in GetList(section, key))
        {
            CheckSpec(section, key, s);
            specs.Add(s);
        }
        if (Aliases.TryGetValue(key, out var alias))
        {
            foreach (var s in GetList(section, alias))
            {
                CheckSpec(section, alias, s);
                if (!specs.Contains(s))
                {
                    specs.Add(s);
                }
            }
        }
        return specs;
    }

    /// <summary>The first spec (the one a binding socket binds), or null when none is configured.</summary>
    public string? GetSocketSpec(string section, string key)
    {
        var specs = GetSocketSpecs(section, key);
        return specs.Count > 0 ? specs[0] : null;
    }

    /// <summary>Client listeners (<c>http_port</c>, <c>https_ports</c>).</summary>
    public IReadOnlyList<ListenPort> GetListenPorts(string section, string key)
    {
        var ports = new List<ListenPort>();
        foreach (var item in GetList(section, key))
        {
            if (!ListenPort.TryParse(item, out var port, out var error))
            {
                throw Error(section, key, error!);
            }
            ports.Add(port!);
        }
        return ports;
    }

    /// <summary><c>[runner] log_level</c>.</summary>
    public LogLevelSpec GetLogLevels(string section, string key)
    {
        var text = GetString(section, key, string.Empty);
        if (!LogLevelSpec.TryParse(text, out var spec, out var error))
        {
            throw Error(section, key, error!);
        }
        return spec!;
    }

    /// <summary><c>[runner] services</c> mapped to our names, in start order.</summary>
    public IReadOnlyList<string> GetServices(string section, string key)
    {
        if (!Contains(section, key))
        {
            return ServiceNames.All;
        }
        if (!ServiceNames.TryParse(GetString(section, key), out var services, out var error))
        {
            throw Error(section, key, error!);
        }
        return services;
    }

    /// <summary>A path from the config resolved against <see cref="ConfigDirectory"/> (absolute paths unchanged).</summary>
    public string ResolvePath(string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(ConfigDirectory, path));

    /// <summary>"file:line" of a key (the file alone when the value is built in or absent).</summary>
    public string Where(string section, string key) =>
        TryGetValue(section, key, out var v) ? v.Location : FilePath;

    /// <summary>A <see cref="ConfigException"/> for a key: <c>file:line: [section] key: reason</c>.</summary>
    public ConfigException Error(string section, string key, string reason) =>
        new($"{Where(section, key)}: [{section}] {key}: {reason}");

    /// <summary>
    /// Checks every value of a known key against its kind, so a bad value fails before any daemon
    /// starts instead of when the daemon that reads it gets to it.
    /// </summary>
    public void Validate()
    {
        foreach (var ((section, key), value) in _values)
        {
            if (value.File == ConfigValue.BuiltIn || !KnownKeys.TryGetKind(section, key, out var kind))
            {
                continue;
            }
            switch (kind)
            {
                case KeyKind.Int:
                    GetInt(section, key, 0);
                    break;
                case KeyKind.Bool:
                    GetBool(section, key, false);
                    break;
                case KeyKind.Port:
                    GetPort(section, key, 0);
                    break;
                case KeyKind.ListenPorts:
                    GetListenPorts(section, key);
                    break;
                case KeyKind.Sockets:
                    GetSocketSpecs(section, key);
                    break;
                case KeyKind.LogLevel:
                    GetLogLevels(section, key);
                    break;
                case KeyKind.Services:
                    GetServices(section, key);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Applies <c>{libdir}</c>, <c>{rundir}</c>, <c>{ipc_prefix}</c> and port_offset to a value.</summary>
    public string Expand(string raw)
    {
        var s = raw.Contains('{', StringComparison.Ordinal)
            ? raw.Replace("{libdir}", LibDir, StringComparison.Ordinal)
                .Replace("{rundir}", RunDir, StringComparison.Ordinal)
                .Replace("{ipc_prefix}", IpcPrefix, StringComparison.Ordinal)
            : raw;
        if (PortOffset != 0 && s.Contains("tcp://", StringComparison.Ordinal))
        {
            s = TcpPort().Replace(s, m =>
            {
                var port = long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) + PortOffset;
                return $"tcp://{m.Groups[1].Value}:{port.ToString(CultureInfo.InvariantCulture)}";
            });
        }
        return s;
    }

    /// <summary>Splits a <c>tcp://host:port</c> spec (the only kind our sockets take).</summary>
    public static bool TryParseTcpSpec(string spec, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (!spec.StartsWith("tcp://", StringComparison.Ordinal))
        {
            return false;
        }
        var rest = spec.AsSpan(6);
        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }
        host = rest[..colon].ToString();
        return int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }

    [GeneratedRegex(@"tcp://(\[[^\]]*\]|[^:/,\s]*):(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex TcpPort();

    private void CheckSpec(string section, string key, string spec)
    {
        if (spec.StartsWith("ipc://", StringComparison.Ordinal))
        {
            throw Error(section, key, $"'{spec}': ipc:// sockets are not supported (NetMQ has no Unix-domain sockets); use a tcp spec such as tcp://127.0.0.1:PORT");
        }
        if (!TryParseTcpSpec(spec, out _, out _))
        {
            throw Error(section, key, $"'{spec}' is not a valid socket spec (expected tcp://HOST:PORT)");
        }
    }

    private int ParseInt(string section, string key, int defaultValue, bool applyOffset)
    {
        if (!TryGetValue(section, key, out var v) || string.IsNullOrWhiteSpace(v.Raw))
        {
            return defaultValue;
        }
        if (!int.TryParse(v.Raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            throw Error(section, key, $"'{v.Raw}' is not a valid {(KnownKeys.TryGetKind(section, key, out var k) && k == KeyKind.Port ? "port" : "integer")}");
        }
        if (applyOffset && n > 0 && section == "handler" && key == "push_in_http_port")
        {
            n += PortOffset;
        }
        return n;
    }

    private string? RawOrDefault(string section, string key) =>
        TryGetValue(section, key, out var v) && !string.IsNullOrWhiteSpace(v.Raw) ? v.Raw.Trim() : null;

    private static List<string> SplitList(string value) =>
        [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static string ReadFile(string path, string nameForMessages)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{nameForMessages}: cannot read config file: {e.Message}", e);
        }
    }

    private static Dictionary<(string, string), ConfigValue> BuiltInLayer()
    {
        var values = new Dictionary<(string, string), ConfigValue>();
        foreach (var ((section, key), value) in InternalDefaults.Values)
        {
            values[(section, key)] = new ConfigValue(value, ConfigValue.BuiltIn, 0);
        }
        return values;
    }

    private static PushpinConfig Build(string text, string fileName, string configDirectory, PushpinConfigOptions options)
    {
        var warnings = new List<string>();
        var (doc, format) = ParseDocument(text, fileName, options.Format);
        var values = BuiltInLayer();

        // [global] include: upstream's internal.conf becomes our built-in layer; any other file is
        // read and sits between the built-ins and the main file.
        if (doc.Sections.TryGetValue("global", out var global) && global.TryGetValue("include", out var include) && !string.IsNullOrWhiteSpace(include.Raw))
        {
            var includePath = include.Raw.Trim();
            if (Path.GetFileName(includePath) != "internal.conf")
            {
                var libDir = options.LibDir ?? (global.TryGetValue("libdir", out var l) ? l.Raw : AppContext.BaseDirectory);
                includePath = includePath.Replace("{libdir}", libDir, StringComparison.Ordinal);
                var resolved = Path.IsPathRooted(includePath) ? includePath : Path.Combine(configDirectory, includePath);
                var includeText = ReadFile(resolved, $"{include.Location}: [global] include");
                var (included, _) = ParseDocument(includeText, includePath, ConfigFormat.Auto);
                Merge(values, included, warnings);
            }
        }
        Merge(values, doc, warnings);
        return new PushpinConfig(fileName, configDirectory, format, values, warnings, options);
    }

    private static (ConfigDocument Doc, ConfigFormat Format) ParseDocument(string text, string fileName, ConfigFormat format)
    {
        if (format == ConfigFormat.Auto)
        {
            var ext = Path.GetExtension(fileName).ToLowerInvariant();
            format = ext switch
            {
                ".toml" => ConfigFormat.Toml,
                ".conf" or ".ini" => ConfigFormat.Ini,
                _ => ConfigFormat.Auto,
            };
        }
        switch (format)
        {
            case ConfigFormat.Toml:
                return (TomlConfigReader.TryRead(text, fileName, out var error) ?? throw new ConfigException(error!), ConfigFormat.Toml);
            case ConfigFormat.Ini:
                return (IniConfigReader.Read(text, fileName), ConfigFormat.Ini);
            default:
                // Sniff: an upstream INI file is almost never valid TOML (bare {libdir} values,
                // empty values), and a file that is valid as both means the same in both.
                var toml = TomlConfigReader.TryRead(text, fileName, out _);
                return toml is not null ? (toml, ConfigFormat.Toml) : (IniConfigReader.Read(text, fileName), ConfigFormat.Ini);
        }
    }

    private static void Merge(Dictionary<(string, string), ConfigValue> values, ConfigDocument doc, List<string> warnings)
    {
        warnings.AddRange(doc.Warnings);
        foreach (var (section, keys) in doc.Sections)
        {
            if (!KnownKeys.IsSection(section))
            {
                warnings.Add($"{doc.File}:{doc.SectionLines[section]}: [{section}]: unknown section, ignored");
            }
            foreach (var (key, value) in keys)
            {
                if (KnownKeys.IsSection(section) && !KnownKeys.TryGetKind(section, key, out _))
                {
                    warnings.Add($"{value.Location}: [{section}] {key}: unknown key, ignored");
                }
                var stored = value;
                if (InternalDefaults.TryMapUpstreamDefault(section, key, value.Raw, out var ours))
                {
                    // Upstream's stock ipc value: serve ours rather than refusing a file that was
                    // copied from upstream unchanged.
                    warnings.Add($"{value.Location}: [{section}] {key}: upstream's ipc default replaced by {ours}");
                    stored = value with { Raw = ours };
                }
                values[(section, key)] = stored;
            }
        }
    }
}
