namespace Pushpin.Handler.Instruct;

internal enum HoldMode
{
    None,
    Response,
    Stream,
}
