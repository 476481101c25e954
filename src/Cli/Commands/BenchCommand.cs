using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraNotebooks.Engine;
using LoraNotebooks.Cli.Bench;

namespace LoraNotebooks.Cli.Commands;

/// <summary>
/// <c>lora bench [--json] [--quick]</c>: measures training speed against a minimal loop, PyTorch, full
/// fine-tuning and the CPU's matmul speed, memory drift, sampling, checking and live rendering, in one run
/// (docs/benchmarks.md). <c>--json</c> prints one object with every figure.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every figure (and a \"details\" list)." };
        var quick = new Option<bool>("--quick") { Description = "A tiny configuration that runs in seconds: checks the bench works; the numbers mean little." };
        var rssSteps = new Option<int?>("--rss-steps") { Description = "Steps of the memory-drift run (default 2000; 20 with --quick)." };
        var python = new Option<string>("--python") { Description = "The Python with torch for the PyTorch comparison (default /usr/bin/python3).", DefaultValueFactory = _ => DefaultPython() };
        var noPytorch = new Option<bool>("--no-pytorch") { Description = "Skip the PyTorch comparison (vs_pytorch is then null)." };
        var only = new Option<string[]>("--only") { Description = "Measure only these keys (e.g. --only rss_drift); the others print null.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("bench", "Measure training, sampling, checking and rendering speed, and memory drift.") { json, quick, rssSteps, python, noPytorch, only };
        command.SetAction((parse, token) => CommandRunner.RunAsync(parse, async (output, _) =>
        {
            var settings = parse.GetValue(quick) ? BenchSettings.Quick : BenchSettings.Full;
            if (parse.GetValue(rssSteps) is { } steps)
            {
                if (steps < 10)
                    throw new UserErrorException($"--rss-steps must be at least 10, not {steps}");
                settings = settings with { RssSteps = steps };
            }
            var asJson = parse.GetValue(json);
            var error = parse.InvocationConfiguration.Error;
            var report = await Benchmark.RunAsync(settings, parse.GetValue(noPytorch) ? null : parse.GetValue(python), parse.GetValue(only) ?? [],
                line => (asJson ? error : output).WriteLine($"bench: {line}"));
            if (asJson)
            {
                var body = report.Numbers.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
                body["details"] = report.Details;
                output.WriteLine(JsonSerializer.Serialize(body));
            }
            else
            {
                foreach (var detail in report.Details)
                    output.WriteLine(detail);
                foreach (var (key, value) in report.Numbers)
                    output.WriteLine($"{key,-28} {(value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "not measured")}");
            }
            return ExitCodes.Ok;
        }, token));
        return command;
    }

    private static string DefaultPython() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
