using System.Runtime.CompilerServices;
using System.Text.Json;
using LoraNotebooks.Engine.Native;

namespace LoraNotebooks.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-run-tests").FullName;

    static RunCommandTests() => TorchNativeLoader.EnsureLoadable();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string RepositoryRoot([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    private string Script(string text)
    {
        var data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples", "data", "red-kite")))
            File.Copy(file, Path.Combine(data, Path.GetFileName(file)), overwrite: true);
        var path = Path.Combine(_folder, "run.lora");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task run_json_prints_one_event_per_line_and_ends_with_finished_naming_the_adapter_and_trigger()
    {
        var script = Script("""
            dataset "kite" {
              folder "data"
              trigger "zqk kite"
            }
            lora { rank 2; targets [attention] }
            train { steps 2; batch 2; output "out/kite.safetensors" }
            """);
        var result = await CliRun.RunAsync("run", script, "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["step", "step"], lines.Select(l => l.GetProperty("event").GetString()).Where(e => e == "step"));
        var finished = lines[^1];
        Assert.Equal("finished", finished.GetProperty("event").GetString());
        Assert.Equal(Path.Combine(_folder, "out", "kite.safetensors"), finished.GetProperty("adapter").GetString());
        Assert.Equal("zqk kite", finished.GetProperty("trigger").GetString());
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("fidelity").ValueKind);
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("leakage").ValueKind);
        Assert.True(File.Exists(Path.Combine(_folder, "out", "kite.safetensors")));
    }

    [Fact]
    public async Task a_script_with_errors_exits_1_with_compiler_style_diagnostics_and_no_stack_trace()
    {
        var script = Script("train { optimizer adamw2 }\ndataset \"kite\" { folder \"data\" }\n");
        var result = await CliRun.RunAsync("run", script);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error LORA0103", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task a_missing_script_is_one_line_and_exit_1()
    {
        var result = await CliRun.RunAsync("run", Path.Combine(_folder, "nope.lora"));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"lora: error: script '{Path.Combine(_folder, "nope.lora")}' does not exist", result.Error.Trim());
    }
}
