namespace Pushpin.Runner.Settings;

/// <summary>One child to start: its name (connmgr, proxy, handler), executable and arguments.</summary>
internal sealed record ServiceLaunch(string Name, string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Signals forwarded on SIGHUP (upstream forwards to proxy and handler only).</summary>
    public bool ReceivesHangup => Name is "proxy" or "handler";
}
