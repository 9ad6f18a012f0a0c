namespace Pushpin.Common.Zhttp;

/// <summary>One entry of a multi-id packet: a session id and that session's next seq.</summary>
public readonly record struct ZhttpSessionRef(string Id, int Seq);
