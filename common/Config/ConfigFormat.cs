namespace Pushpin.Common.Config;

/// <summary>The two accepted file syntaxes: ours (TOML) and upstream's (INI).</summary>
public enum ConfigFormat
{
    /// <summary>Decide from the extension (.toml, .conf/.ini), else by trying TOML first.</summary>
    Auto,

    /// <summary><c>pushpin.toml</c>.</summary>
    Toml,

    /// <summary>Upstream's <c>pushpin.conf</c>.</summary>
    Ini,
}
