namespace Pushpin.Common.Zrpc;

/// <summary>A request received by a <see cref="ZrpcServer"/>; answer it with <see cref="Respond"/>.</summary>
public sealed class ZrpcCall
{
    private readonly ZrpcServer _server;
    private readonly byte[][] _envelope;

    internal ZrpcCall(ZrpcServer server, byte[][] envelope, ZrpcRequest request)
    {
        _server = server;
        _envelope = envelope;
        Request = request;
    }

    public ZrpcRequest Request { get; }

    public void Respond(ZrpcResponse response)
    {
        if (Request.Id is null)
        {
            return; // Fire-and-forget requests get no reply.
        }
        _server.Reply(_envelope, response);
    }

    public void Ok(object? value) => Respond(ZrpcResponse.Ok(Request.Id, value));

    public void Fail(string condition, object? value = null) => Respond(ZrpcResponse.Fail(Request.Id, condition, value));
}
