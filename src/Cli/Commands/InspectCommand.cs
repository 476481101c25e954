using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;

namespace LoraNotebooks.Cli.Commands;

/// <summary><c>lora inspect FILE [--json]</c>: what an adapter file holds.</summary>
public static class InspectCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .safetensors adapter (kohya or peft), or a peft folder." }.AsPath();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("inspect", "Report an adapter file's format, ranks, alphas, targets, dtypes, size and metadata.") { file, json };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            var report = AdapterReport.Read(parse.GetValue(file)!);
            output.WriteLine(parse.GetValue(json) ? ToJson(report) : ToText(report));
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return command;
    }

    /// <summary>The report as one JSON object.</summary>
    public static string ToJson(AdapterReport report) => JsonSerializer.Serialize(new
    {
        path = report.Path,
        format = report.Format.ToString().ToLowerInvariant(),
        adapters = report.Adapters.Count,
        ranks = report.Ranks,
        alphas = report.Alphas,
        targets = report.TargetGroups,
        dtypes = report.DTypes,
        parameters = report.ParameterCount,
        tensors = report.TensorCount,
        file_bytes = report.FileBytes,
        metadata = report.Metadata,
        modules = report.Adapters.Select(a => new { name = a.Name, rank = a.Rank, alpha = a.Alpha, kind = a.Kind, dtype = a.DType, parameters = a.Parameters, dora = a.Dora }),
    });

    /// <summary>The report as aligned text.</summary>
    public static string ToText(AdapterReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            $"file        {report.Path}",
            $"format      {report.Format.ToString().ToLowerInvariant()}",
            $"size        {Dsl.Preflight.ByteSize.Format(report.FileBytes)} ({report.TensorCount} tensors, {report.ParameterCount.ToString("N0", inv)} parameters)",
            $"dtypes      {string.Join(", ", report.DTypes)}",
        };
        if (report.Adapters.Count > 0)
        {
            lines.Add($"adapters    {report.Adapters.Count} ({string.Join(", ", report.TargetGroups.Select(g => $"{g.Key}: {g.Value}"))})");
            lines.Add($"rank        {string.Join(", ", report.Ranks)}");
            lines.Add($"alpha       {string.Join(", ", report.Alphas.Select(a => a.ToString("G6", inv)))}" +
                (report.Adapters.Any(a => !a.AlphaFromFile) ? "  (some missing in the file: alpha = rank)" : ""));
            var kinds = report.Adapters.GroupBy(a => a.Kind).Select(g => $"{g.Count()} {g.Key}");
            lines.Add($"layers      {string.Join(", ", kinds)}");
            foreach (var axis in report.Adapters.Where(a => a.Dora).GroupBy(a => a.DoraAxis).OrderBy(g => g.Key))
                lines.Add($"dora        {axis.Count()} of {report.Adapters.Count} layers learn a magnitude per {(axis.Key == DoraAxis.Input ? "input" : "output")} feature (dora_scale)");
        }
        if (report.Metadata.Count > 0)
        {
            lines.Add("metadata");
            foreach (var (key, value) in report.Metadata)
                lines.Add($"  {key} = {(value.Length > 120 ? value[..117] + "..." : value)}");
        }
        return string.Join(Environment.NewLine, lines);
    }
}
