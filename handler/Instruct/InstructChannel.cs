namespace Pushpin.Handler.Instruct;

/// <summary>A channel named in Grip-Channel or the JSON <c>hold.channels</c> list.</summary>
internal sealed class InstructChannel
{
    public InstructChannel(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>null when the channel has no prev-id (ordering off).</summary>
    public string? PrevId { get; set; }

    public List<string> Filters { get; } = [];
}
