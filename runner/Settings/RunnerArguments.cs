namespace Pushpin.Runner.Settings;

/// <summary>The runner's command line, as upstream's (<c>pushpin --help</c>).</summary>
internal sealed record RunnerArguments
{
    public string? ConfigPath { get; init; }

    /// <summary><c>--port [addr:]port</c>: one HTTP listener replacing the configured ones.</summary>
    public string? Port { get; init; }

    public IReadOnlyList<string> Routes { get; init; } = [];

    /// <summary><c>--id N</c>: ipc prefix <c>N-</c>, internal ports shifted by N × 10.</summary>
    public int? Id { get; init; }

    public string? LogFile { get; init; }

    /// <summary><c>--loglevel</c>: <c>N</c> or <c>N,service:N</c> or <c>service:N,...</c>.</summary>
    public string? LogLevel { get; init; }

    public bool Verbose { get; init; }

    /// <summary><c>--log-format</c>: <c>text</c> (default) or <c>json</c>; checked by <see cref="RunnerSettings"/>.</summary>
    public string? LogFormat { get; init; }

    /// <summary>True for <c>--log-format json</c>.</summary>
    public bool JsonLogs => LogFormat == "json";

    /// <summary>Accepted for compatibility with 1.x; output is always merged.</summary>
    public bool MergeOutput { get; init; }
}
