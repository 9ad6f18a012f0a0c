using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pushpin.LoadGen;

/// <summary>Prints one line per result and appends it as JSON (one object per line) to a file.</summary>
public sealed class ResultWriter(string? jsonPath, string targetName)
{
    public void Write(string scenario, IReadOnlyDictionary<string, double> values, string? note = null)
    {
        var line = string.Join(' ', values.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:0.##}")));
        Console.WriteLine($"{targetName} {scenario}: {line}{(note is null ? "" : "  (" + note + ")")}");
        if (jsonPath is null)
        {
            return;
        }
        var obj = new JsonObject
        {
            ["time"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["target"] = targetName,
            ["scenario"] = scenario,
        };
        foreach (var (k, v) in values)
        {
            obj[k] = double.IsFinite(v) ? v : null;
        }
        if (note is not null)
        {
            obj["note"] = note;
        }
        File.AppendAllText(jsonPath, obj.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n");
    }
}
