using System.Text;
using Pushpin.Common.Zhttp;
using Pushpin.Handler.Sessions;

namespace Pushpin.Benchmarks.Handler;

/// <summary>What the handler benchmarks share: accept arguments for a stream hold and a sender that merges fan-outs.</summary>
internal static class HeldStreams
{
    // A stream hold on channel c with credits for the whole run, handed over by "connmgr" (router-resp).
    public static Dictionary<string, object?> AcceptArgs(string id, string channel = "c")
    {
        var requestData = new Dictionary<string, object?>
        {
            ["method"] = "GET"u8.ToArray(),
            ["uri"] = "http://example.com/stream"u8.ToArray(),
            ["headers"] = new List<object?>(),
            ["body"] = Array.Empty<byte>(),
        };
        return new Dictionary<string, object?>
        {
            ["requests"] = new List<object?>
            {
                new Dictionary<string, object?>
                {
                    ["rid"] = new Dictionary<string, object?> { ["sender"] = "connmgr"u8.ToArray(), ["id"] = Encoding.Latin1.GetBytes(id) },
                    ["in-seq"] = 1L,
                    ["out-seq"] = 1L,
                    ["out-credits"] = 1_000_000_000L,
                    ["router-resp"] = true,
                },
            },
            ["request-data"] = requestData,
            ["orig-request-data"] = requestData,
            ["response"] = new Dictionary<string, object?>
            {
                ["code"] = 200L,
                ["reason"] = "OK"u8.ToArray(),
                ["headers"] = new List<object?>
                {
                    new List<object?> { "Grip-Hold"u8.ToArray(), "stream"u8.ToArray() },
                    new List<object?> { "Grip-Channel"u8.ToArray(), Encoding.Latin1.GetBytes(channel) },
                },
                ["body"] = Array.Empty<byte>(),
            },
            ["route"] = "bench"u8.ToArray(),
        };
    }

    public sealed class BatchingSink(FanoutBatcher batcher) : IZhttpSender
    {
        public void Send(string requesterId, ZhttpPacket packet, bool routerResp) => batcher.Send(requesterId, packet, routerResp);

        public void BeginFanout() => batcher.Begin();

        public void EndFanout() => batcher.End();
    }
}
