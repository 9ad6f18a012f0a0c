namespace Pushpin.Connmgr.WebSockets;

/// <summary>Picks a permessage-deflate offer from a client's Sec-WebSocket-Extensions (RFC 7692 §7.1).</summary>
/// <remarks>
/// .NET's DeflateStream always compresses with a 32 KiB window (15 bits) and inflates any
/// window up to that, so: <c>client_max_window_bits</c> (any value) is accepted and not echoed
/// (we inflate whatever the client uses); <c>server_max_window_bits</c> below 15 cannot be
/// honoured, so such an offer is declined and the next one is tried. Offers with unknown or
/// repeated parameters or bad values are declined as §7.1 requires.
/// </remarks>
internal static class PerMessageDeflateNegotiator
{
    /// <summary>Negotiates from all Sec-WebSocket-Extensions header values (in order); null = no compression.</summary>
    public static PerMessageDeflateParameters? Negotiate(IEnumerable<string> extensionHeaderValues)
    {
        ArgumentNullException.ThrowIfNull(extensionHeaderValues);
        foreach (var value in extensionHeaderValues)
        {
            foreach (var offer in SplitOutsideQuotes(value, ','))
            {
                var parameters = TryAccept(offer);
                if (parameters is not null)
                {
                    return parameters;
                }
            }
        }

        return null;
    }

    /// <summary>Client mode: the offer we send (no parameters: full windows, context takeover allowed).</summary>
    public const string ClientOffer = "permessage-deflate";

    /// <summary>Client mode: reads the server's answer to <see cref="ClientOffer"/>.</summary>
    /// <param name="responseHeaderValues">All Sec-WebSocket-Extensions values of the 101.</param>
    /// <param name="parameters">The agreed settings, or null when the server declined compression.</param>
    /// <returns>False when the answer is unusable (the connection must fail, RFC 7692 §5).</returns>
    public static bool TryReadResponse(IEnumerable<string> responseHeaderValues, out PerMessageDeflateParameters? parameters)
    {
        ArgumentNullException.ThrowIfNull(responseHeaderValues);
        parameters = null;
        foreach (var value in responseHeaderValues)
        {
            foreach (var extension in SplitOutsideQuotes(value, ','))
            {
                var parts = SplitOutsideQuotes(extension, ';');
                if (!parts[0].Trim().Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase))
                {
                    // We offered nothing else.
                    return false;
                }

                if (parameters is not null)
                {
                    return false;
                }

                var serverNoTakeover = false;
                var clientNoTakeover = false;
                for (var i = 1; i < parts.Count; i++)
                {
                    var part = parts[i].Trim();
                    var eq = part.IndexOf('=', StringComparison.Ordinal);
                    var name = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
                    var v = eq < 0 ? null : part[(eq + 1)..].Trim().Trim('"');
                    switch (name)
                    {
                        case "server_no_context_takeover" when v is null:
                            serverNoTakeover = true;
                            break;
                        case "client_no_context_takeover" when v is null:
                            clientNoTakeover = true;
                            break;
                        case "server_max_window_bits" when v is not null && IsWindowBits(v):
                            // We inflate any window up to 15 bits.
                            break;
                        case "client_max_window_bits" when v == "15":
                            // A smaller window for our compressor is not something DeflateStream can do.
                            break;
                        default:
                            return false;
                    }
                }

                parameters = new PerMessageDeflateParameters(serverNoTakeover, clientNoTakeover);
            }
        }

        return true;
    }

    private static PerMessageDeflateParameters? TryAccept(string offer)
    {
        var parts = SplitOutsideQuotes(offer, ';');
        if (parts.Count == 0 || !parts[0].Trim().Equals("permessage-deflate", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var serverNoTakeover = false;
        var clientNoTakeover = false;
        for (var i = 1; i < parts.Count; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0)
            {
                return null;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = (eq < 0 ? part : part[..eq]).Trim();
            var value = eq < 0 ? null : part[(eq + 1)..].Trim().Trim('"');
            if (!seen.Add(name))
            {
                return null;
            }

            switch (name.ToLowerInvariant())
            {
                case "server_no_context_takeover" when value is null:
                    serverNoTakeover = true;
                    break;
                case "client_no_context_takeover" when value is null:
                    clientNoTakeover = true;
                    break;
                case "client_max_window_bits":
                    if (value is not null && !IsWindowBits(value))
                    {
                        return null;
                    }

                    break;
                case "server_max_window_bits":
                    if (value is null || !IsWindowBits(value) || value != "15")
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }
        }

        return new PerMessageDeflateParameters(serverNoTakeover, clientNoTakeover);
    }

    private static bool IsWindowBits(string value) =>
        value.Length is 1 or 2 && value[0] != '0' && int.TryParse(value, out var bits) && bits is >= 8 and <= 15;

    private static List<string> SplitOutsideQuotes(string value, char separator)
    {
        var result = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == separator && !quoted)
            {
                result.Add(value[start..i]);
                start = i + 1;
            }
        }

        result.Add(value[start..]);
        if (separator == ',')
        {
            result.RemoveAll(static s => s.Trim().Length == 0);
        }

        return result;
    }
}
