namespace Pushpin.Handler.Instruct;

/// <summary>
/// How the stream keep-alive timer behaves. <see cref="None"/> with a timeout set (the JSON
/// instruct form) fires on a fixed interval, as upstream.
/// </summary>
internal enum KeepAliveMode
{
    None,
    Idle,
    Interval,
}
