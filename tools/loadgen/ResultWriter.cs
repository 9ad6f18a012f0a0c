using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pushpin.LoadGen;

/// <summary>Prints one line per result and appends it as JSON (one object per line) to a file.</summary>
public sealed class ResultWriter(string? jsonPath, string targetName)
{
    public void Write(string scenario, IReadOnlyDictionary<string, double> values, string? note = null)
    {
        // The machine's load with every result: numbers from a shared machine need it.
        var withLoad = new Dictionary<string, double>(values) { ["load_avg_1m"] = LoadAverage() };
        values = withLoad;
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

    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return double.NaN;
        }
    }
}
