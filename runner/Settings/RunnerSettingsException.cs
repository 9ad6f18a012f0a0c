namespace Pushpin.Runner.Settings;

/// <summary>A runner setting that cannot be used (bad <c>--port</c>, missing daemon executable). One-line message.</summary>
internal sealed class RunnerSettingsException(string message) : Exception(message)
{
}
