namespace Pushpin.Proxy.WebSockets;

/// <summary>What the backend took from one request, per <c>Content-Bytes-Accepted</c>.</summary>
/// <param name="ContentAccepted">Message content bytes (not counting CLOSE content) the backend took.</param>
/// <param name="ContentToReplay">Content bytes to send again at the front of the next request (with <c>Content-Bytes-Replayed</c>).</param>
/// <param name="CloseAccepted">The request's CLOSE counts as sent (false when it had none or content before it was refused).</param>
internal readonly record struct ContentAcceptance(int ContentAccepted, int ContentToReplay, bool CloseAccepted);
