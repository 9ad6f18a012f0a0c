namespace Pushpin.Common.Config;

/// <summary>Command-line overrides applied while loading (a daemon's <c>--port-offset</c>, <c>--ipc-prefix</c>).</summary>
public sealed class PushpinConfigOptions
{
    /// <summary>Replaces <c>[global] port_offset</c> (the runner passes config offset + 10 × <c>--id</c>).</summary>
    public int? PortOffset { get; init; }

    /// <summary>Replaces <c>[global] ipc_prefix</c> in <c>{ipc_prefix}</c> expansion.</summary>
    public string? IpcPrefix { get; init; }

    /// <summary>Value of <c>{libdir}</c>; defaults to <c>[global] libdir</c>, else the executable's directory.</summary>
    public string? LibDir { get; init; }

    /// <summary>Syntax to assume; <see cref="ConfigFormat.Auto"/> decides from the extension or content.</summary>
    public ConfigFormat Format { get; init; } = ConfigFormat.Auto;
}
