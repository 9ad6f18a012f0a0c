namespace Pushpin.ProtocolTests.Docs;

/// <summary>
/// One fenced example in a doc page: <c>```sh test</c> and friends (see <see cref="DocExtractor"/>),
/// with the <c>```output</c> block that follows it, if any.
/// </summary>
/// <param name="File">The page, relative to docs/.</param>
/// <param name="Line">1-based line of the opening fence.</param>
/// <param name="Language">First word of the info string: sh, toml, ini, routes, python.</param>
/// <param name="Mode">Second word: test, background, runner-error, woh-open, grip-response.</param>
/// <param name="Body">The block's text.</param>
/// <param name="ExpectedOutput">Lines the output must contain in order, or null.</param>
public sealed record DocBlock(string File, int Line, string Language, string Mode, string Body, IReadOnlyList<string>? ExpectedOutput)
{
    /// <summary>Words after the mode (e.g. <c>ws-subscribed</c>).</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    public override string ToString() => $"{File}:{Line} ({Language} {Mode})";
}
