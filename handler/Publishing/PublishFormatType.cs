namespace Pushpin.Handler.Publishing;

internal enum PublishFormatType
{
    HttpResponse,
    HttpStream,
    WebSocketMessage,
}
