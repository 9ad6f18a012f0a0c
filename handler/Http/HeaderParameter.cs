namespace Pushpin.Handler.Http;

/// <summary>One <c>name[=value]</c> item of an HTTP header parameter list.</summary>
/// <remarks>Value is null when the item had no <c>=</c> (upstream distinguishes "absent" from "empty").</remarks>
internal readonly record struct HeaderParameter(string Name, string? Value);
