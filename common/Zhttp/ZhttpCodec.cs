using System.Buffers.Text;
using System.Text;
using Pushpin.Common.TNetStrings;

namespace Pushpin.Common.Zhttp;

/// <summary>
/// zhttp packets to and from their wire form: <c>T</c> followed by a TNetString dictionary
/// (internals.md §3). Decoding slices the body out of the frame without copying; encoding
/// omits fields that hold their default value, as upstream encoders do.
/// </summary>
public static class ZhttpCodec
{
    /// <summary>Encodes with the <c>T</c> prefix into a new array.</summary>
    public static byte[] Encode(ZhttpPacket packet)
    {
        using var writer = new TnetStringWriter();
        Encode(packet, writer);
        return writer.ToArray();
    }

    /// <summary>Encodes with the <c>T</c> prefix, appending to <paramref name="writer"/>.</summary>
    public static void Encode(ZhttpPacket packet, TnetStringWriter writer)
    {
        writer.WriteRaw("T"u8);
        writer.BeginDictionary();
        if (packet.From is not null)
        {
            Key(writer, "from"u8);
            writer.WriteLatin1(packet.From);
        }
        if (packet.Ids is not null)
        {
            Key(writer, "id"u8);
            writer.BeginList();
            foreach (var s in packet.Ids)
            {
                writer.BeginDictionary();
                Key(writer, "id"u8);
                writer.WriteLatin1(s.Id);
                Key(writer, "seq"u8);
                writer.WriteInteger(s.Seq);
                writer.EndDictionary();
            }
            writer.EndList();
        }
        else if (packet.Id is not null)
        {
            Key(writer, "id"u8);
            writer.WriteLatin1(packet.Id);
        }
        if (packet.Seq >= 0 && packet.Ids is null)
        {
            Key(writer, "seq"u8);
            writer.WriteInteger(packet.Seq);
        }
        if (packet.Multi)
        {
            Key(writer, "ext"u8);
            writer.WriteRaw("15:5:multi,4:true!}"u8);
        }
        if (packet.Type != ZhttpPacketType.Data)
        {
            Key(writer, "type"u8);
            writer.WriteString(TypeName(packet.Type));
        }
        if (packet.Condition is not null)
        {
            Key(writer, "condition"u8);
            writer.WriteLatin1(packet.Condition);
        }
        if (packet.UserData is not null)
        {
            Key(writer, "user-data"u8);
            TnetString.Write(writer, packet.UserData);
        }
        OptionalLatin1(writer, "method"u8, packet.Method);
        OptionalLatin1(writer, "uri"u8, packet.Uri);
        if (packet.Code >= 0)
        {
            Key(writer, "code"u8);
            writer.WriteInteger(packet.Code);
        }
        OptionalLatin1(writer, "reason"u8, packet.Reason);
        if (packet.Headers is not null)
        {
            Key(writer, "headers"u8);
            writer.BeginList();
            foreach (var h in packet.Headers)
            {
                writer.BeginList();
                writer.WriteLatin1(h.Name);
                writer.WriteLatin1(h.Value);
                writer.EndList();
            }
            writer.EndList();
        }
        OptionalLatin1(writer, "content-type"u8, packet.ContentType);
        if (!packet.Body.IsEmpty)
        {
            Key(writer, "body"u8);
            writer.WriteString(packet.Body.Span);
        }
        OptionalBool(writer, "more"u8, packet.More);
        OptionalBool(writer, "stream"u8, packet.Stream);
        OptionalInt(writer, "credits"u8, packet.Credits);
        OptionalBool(writer, "router-resp"u8, packet.RouterResp);
        OptionalInt(writer, "max-size"u8, packet.MaxSize);
        OptionalInt(writer, "timeout"u8, packet.Timeout);
        OptionalLatin1(writer, "peer-address"u8, packet.PeerAddress);
        OptionalInt(writer, "peer-port"u8, packet.PeerPort);
        OptionalLatin1(writer, "connect-host"u8, packet.ConnectHost);
        OptionalInt(writer, "connect-port"u8, packet.ConnectPort);
        OptionalBool(writer, "ignore-policies"u8, packet.IgnorePolicies);
        OptionalBool(writer, "trust-connect-host"u8, packet.TrustConnectHost);
        OptionalBool(writer, "ignore-tls-errors"u8, packet.IgnoreTlsErrors);
        OptionalBool(writer, "follow-redirects"u8, packet.FollowRedirects);
        OptionalLatin1(writer, "client-cert"u8, packet.ClientCert);
        OptionalLatin1(writer, "client-key"u8, packet.ClientKey);
        if (packet.Passthrough is not null)
        {
            Key(writer, "passthrough"u8);
            TnetString.Write(writer, packet.Passthrough);
        }
        writer.EndDictionary();
    }

    /// <summary>
    /// Decodes a frame (with its <c>T</c> prefix). Returns false with a reason for anything
    /// malformed; never throws on bad input.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> frame, out ZhttpPacket? packet, out string? error)
    {
        packet = null;
        var span = frame.Span;
        if (span.IsEmpty || span[0] != (byte)'T')
        {
            error = "packet does not start with 'T'";
            return false;
        }
        try
        {
            packet = Decode(frame[1..]);
            error = null;
            return true;
        }
        catch (TnetStringException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private static ZhttpPacket Decode(ReadOnlyMemory<byte> memory)
    {
        var span = memory.Span;
        var top = new TnetStringReader(span);
        var root = top.Read();
        if (root.Type != TnetStringType.Dictionary)
        {
            throw new TnetStringException("packet is not a dictionary");
        }
        var r = top.Enter(root);
        var p = new ZhttpPacket();
        while (!r.End)
        {
            var keyItem = r.Read();
            if (keyItem.Type != TnetStringType.ByteString)
            {
                throw new TnetStringException("dictionary key is not a byte string");
            }
            if (r.End)
            {
                throw new TnetStringException("dictionary key has no value");
            }
            var key = r.Data(keyItem);
            var v = r.Read();
            switch (key.Length)
            {
                case 2 when key.SequenceEqual("id"u8):
                    if (v.Type == TnetStringType.List)
                    {
                        p.Ids = ReadIds(ref r, v);
                    }
                    else
                    {
                        p.Id = Latin1(ref r, v);
                    }
                    break;
                case 3 when key.SequenceEqual("seq"u8):
                    p.Seq = Int(ref r, v);
                    break;
                case 3 when key.SequenceEqual("ext"u8):
                    p.Multi = ReadMulti(ref r, v);
                    break;
                case 3 when key.SequenceEqual("uri"u8):
                    p.Uri = Latin1(ref r, v);
                    break;
                case 4 when key.SequenceEqual("from"u8):
                    p.From = Latin1(ref r, v);
                    break;
                case 4 when key.SequenceEqual("type"u8):
                    p.Type = ParseType(r.Data(Expect(v, TnetStringType.ByteString)));
                    break;
                case 4 when key.SequenceEqual("body"u8):
                    Expect(v, TnetStringType.ByteString);
                    p.Body = memory.Slice(v.DataOffset, v.DataLength);
                    break;
                case 4 when key.SequenceEqual("more"u8):
                    p.More = Bool(ref r, v);
                    break;
                case 4 when key.SequenceEqual("code"u8):
                    p.Code = Int(ref r, v);
                    break;
                case 6 when key.SequenceEqual("method"u8):
                    p.Method = Latin1(ref r, v);
                    break;
                case 6 when key.SequenceEqual("stream"u8):
                    p.Stream = Bool(ref r, v);
                    break;
                case 6 when key.SequenceEqual("reason"u8):
                    p.Reason = Latin1(ref r, v);
                    break;
                case 7 when key.SequenceEqual("headers"u8):
                    p.Headers = ReadHeaders(ref r, v);
                    break;
                case 7 when key.SequenceEqual("credits"u8):
                    p.Credits = Int(ref r, v);
                    break;
                case 7 when key.SequenceEqual("timeout"u8):
                    p.Timeout = Int(ref r, v);
                    break;
                case 8 when key.SequenceEqual("max-size"u8):
                    p.MaxSize = Int(ref r, v);
                    break;
                case 9 when key.SequenceEqual("user-data"u8):
                    p.UserData = TnetString.Parse(span.Slice(v.DataOffset - HeaderLength(v), v.TotalLength));
                    break;
                case 9 when key.SequenceEqual("condition"u8):
                    p.Condition = Latin1(ref r, v);
                    break;
                case 9 when key.SequenceEqual("peer-port"u8):
                    p.PeerPort = Int(ref r, v);
                    break;
                case 11 when key.SequenceEqual("router-resp"u8):
                    p.RouterResp = Bool(ref r, v);
                    break;
                case 11 when key.SequenceEqual("client-cert"u8):
                    p.ClientCert = Latin1(ref r, v);
                    break;
                case 11 when key.SequenceEqual("passthrough"u8):
                    p.Passthrough = TnetString.Parse(span.Slice(v.DataOffset - HeaderLength(v), v.TotalLength));
                    break;
                case 10 when key.SequenceEqual("client-key"u8):
                    p.ClientKey = Latin1(ref r, v);
                    break;
                case 12 when key.SequenceEqual("peer-address"u8):
                    p.PeerAddress = Latin1(ref r, v);
                    break;
                case 12 when key.SequenceEqual("connect-host"u8):
                    p.ConnectHost = Latin1(ref r, v);
                    break;
                case 12 when key.SequenceEqual("connect-port"u8):
                    p.ConnectPort = Int(ref r, v);
                    break;
                case 12 when key.SequenceEqual("content-type"u8):
                    p.ContentType = Latin1(ref r, v);
                    break;
                case 15 when key.SequenceEqual("ignore-policies"u8):
                    p.IgnorePolicies = Bool(ref r, v);
                    break;
                case 16 when key.SequenceEqual("follow-redirects"u8):
                    p.FollowRedirects = Bool(ref r, v);
                    break;
                case 17 when key.SequenceEqual("ignore-tls-errors"u8):
                    p.IgnoreTlsErrors = Bool(ref r, v);
                    break;
                case 18 when key.SequenceEqual("trust-connect-host"u8):
                    p.TrustConnectHost = Bool(ref r, v);
                    break;
                default:
                    // Unknown keys are ignored, as upstream peers do.
                    break;
            }
        }
        return p;
    }

    /// <summary>The wire name of a packet type.</summary>
    public static string TypeName(ZhttpPacketType type) => type switch
    {
        ZhttpPacketType.Error => "error",
        ZhttpPacketType.Credit => "credit",
        ZhttpPacketType.KeepAlive => "keep-alive",
        ZhttpPacketType.Cancel => "cancel",
        ZhttpPacketType.HandoffStart => "handoff-start",
        ZhttpPacketType.HandoffProceed => "handoff-proceed",
        ZhttpPacketType.Close => "close",
        ZhttpPacketType.Ping => "ping",
        ZhttpPacketType.Pong => "pong",
        _ => "data",
    };

    private static ZhttpPacketType ParseType(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("error"u8) => ZhttpPacketType.Error,
        _ when name.SequenceEqual("credit"u8) => ZhttpPacketType.Credit,
        _ when name.SequenceEqual("keep-alive"u8) => ZhttpPacketType.KeepAlive,
        _ when name.SequenceEqual("cancel"u8) => ZhttpPacketType.Cancel,
        _ when name.SequenceEqual("handoff-start"u8) => ZhttpPacketType.HandoffStart,
        _ when name.SequenceEqual("handoff-proceed"u8) => ZhttpPacketType.HandoffProceed,
        _ when name.SequenceEqual("close"u8) => ZhttpPacketType.Close,
        _ when name.SequenceEqual("ping"u8) => ZhttpPacketType.Ping,
        _ when name.SequenceEqual("pong"u8) => ZhttpPacketType.Pong,
        _ => throw new TnetStringException($"unknown packet type '{Encoding.Latin1.GetString(name)}'"),
    };

    private static int HeaderLength(in TnetStringItem item) => item.TotalLength - item.DataLength - 1;

    private static TnetStringItem Expect(in TnetStringItem item, TnetStringType type) =>
        item.Type == type ? item : throw new TnetStringException($"expected {type}, found {item.Type}");

    private static string Latin1(ref TnetStringReader r, in TnetStringItem item) =>
        Encoding.Latin1.GetString(r.Data(Expect(item, TnetStringType.ByteString)));

    private static bool Bool(ref TnetStringReader r, in TnetStringItem item) => r.ReadBoolean(item);

    // Integers may arrive as byte strings of digits from C++ peers (peer-port); accept both.
    private static int Int(ref TnetStringReader r, in TnetStringItem item)
    {
        if (item.Type is not (TnetStringType.Integer or TnetStringType.ByteString))
        {
            throw new TnetStringException($"expected an integer, found {item.Type}");
        }
        var data = r.Data(item);
        if (!Utf8Parser.TryParse(data, out int value, out var consumed) || consumed != data.Length)
        {
            throw new TnetStringException("bad integer");
        }
        return value;
    }

    private static bool ReadMulti(ref TnetStringReader r, in TnetStringItem ext)
    {
        Expect(ext, TnetStringType.Dictionary);
        var e = r.Enter(ext);
        var multi = false;
        while (!e.End)
        {
            var k = e.Read();
            if (e.End)
            {
                throw new TnetStringException("ext key has no value");
            }
            var v = e.Read();
            if (e.Data(k).SequenceEqual("multi"u8) && v.Type == TnetStringType.Boolean)
            {
                multi = e.ReadBoolean(v);
            }
        }
        return multi;
    }

    private static List<ZhttpSessionRef> ReadIds(ref TnetStringReader r, in TnetStringItem list)
    {
        var ids = new List<ZhttpSessionRef>();
        var l = r.Enter(list);
        while (!l.End)
        {
            var entry = Expect(l.Read(), TnetStringType.Dictionary);
            var d = l.Enter(entry);
            string? id = null;
            var seq = -1;
            while (!d.End)
            {
                var k = d.Read();
                if (d.End)
                {
                    throw new TnetStringException("id entry key has no value");
                }
                var v = d.Read();
                var key = d.Data(k);
                if (key.SequenceEqual("id"u8))
                {
                    id = Latin1(ref d, v);
                }
                else if (key.SequenceEqual("seq"u8))
                {
                    seq = Int(ref d, v);
                }
            }
            ids.Add(new ZhttpSessionRef(id ?? throw new TnetStringException("id entry without 'id'"), seq));
        }
        return ids;
    }

    private static List<HttpHeader> ReadHeaders(ref TnetStringReader r, in TnetStringItem list)
    {
        var headers = new List<HttpHeader>();
        var l = r.Enter(Expect(list, TnetStringType.List));
        while (!l.End)
        {
            var pair = l.Enter(Expect(l.Read(), TnetStringType.List));
            if (pair.End)
            {
                throw new TnetStringException("header without a name");
            }
            var name = Latin1(ref pair, pair.Read());
            if (pair.End)
            {
                throw new TnetStringException("header without a value");
            }
            var value = Latin1(ref pair, pair.Read());
            headers.Add(new HttpHeader(name, value));
        }
        return headers;
    }

    private static void Key(TnetStringWriter writer, ReadOnlySpan<byte> key) => writer.WriteString(key);

    private static void OptionalLatin1(TnetStringWriter writer, ReadOnlySpan<byte> key, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(key);
            writer.WriteLatin1(value);
        }
    }

    private static void OptionalBool(TnetStringWriter writer, ReadOnlySpan<byte> key, bool value)
    {
        if (value)
        {
            writer.WriteString(key);
            writer.WriteBoolean(true);
        }
    }

    private static void OptionalInt(TnetStringWriter writer, ReadOnlySpan<byte> key, int value)
    {
        if (value >= 0)
        {
            writer.WriteString(key);
            writer.WriteInteger(value);
        }
    }
}
