namespace Pushpin.Handler.Sessions;

/// <summary>Accept data a session keeps for following next links (upstream's adata fields it uses).</summary>
internal sealed record NextLinkState(string RequestUri, string? Route, bool Trusted, string ChannelPrefix, IReadOnlyList<string> ImplicitChannels);
