namespace Pushpin.Handler.Publishing;

internal enum PublishAction
{
    Send,
    Hint,
    Close,
    Refresh,
}
