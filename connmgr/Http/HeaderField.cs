namespace Pushpin.Connmgr.Http;

/// <summary>One header line as received or to be written.</summary>
/// <remarks>Name and value are Latin-1 strings so every byte round-trips unchanged into zhttp
/// packets; case and order are the client's.</remarks>
internal readonly record struct HeaderField(string Name, string Value);
