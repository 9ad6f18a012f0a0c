namespace Pushpin.Common.TNetStrings;

/// <summary>
/// One parsed value header: its type and where its data sits in the buffer. Containers are
/// walked by creating a reader over <see cref="DataOffset"/>..<see cref="DataOffset"/>+<see cref="DataLength"/>.
/// </summary>
public readonly record struct TnetStringItem(TnetStringType Type, int DataOffset, int DataLength, int TotalLength);
