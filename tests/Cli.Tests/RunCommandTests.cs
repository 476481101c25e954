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

    private const string KiteScript = """
        dataset "kite" {
          folder "data"
          trigger "zqk kite"
        }
        lora { rank 2; targets [attention] }
        """;

    [Fact]
    public async Task run_refuses_to_replace_an_adapter_another_run_left_at_its_output_unless_the_script_says_overwrite()
    {
        var script = Script(KiteScript + "\ntrain { steps 1; batch 2; output \"out/kite.safetensors\" }\n");
        var output = Path.Combine(_folder, "out", "kite.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, "someone else's adapter");

        var refused = await CliRun.RunAsync("run", script);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("already holds an adapter from another run", refused.Error);
        Assert.Equal("someone else's adapter", File.ReadAllText(output));

        File.WriteAllText(script, KiteScript + "\ntrain { steps 1; batch 2; output \"out/kite.safetensors\"; overwrite }\n");
        var replaced = await CliRun.RunAsync("run", script);
        Assert.True(replaced.ExitCode == 0, replaced.Error);

        // The same script again rewrites its own result; other settings must ask.
        Assert.Equal(0, (await CliRun.RunAsync("run", script)).ExitCode);
        File.WriteAllText(script, KiteScript + "\ntrain { steps 1; batch 2; seed 7; output \"out/kite.safetensors\" }\n");
        var before = File.ReadAllBytes(output);
        var other = await CliRun.RunAsync("run", script);
        Assert.Equal(1, other.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(output));
    }

    [Fact]
    public async Task run_on_a_dataset_of_only_corrupt_pictures_stops_with_one_clear_line()
    {
        var data = Directory.CreateDirectory(Path.Combine(_folder, "junk")).FullName;
        File.WriteAllBytes(Path.Combine(data, "a.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        File.WriteAllText(Path.Combine(data, "b.jpg"), "not a jpeg");
        File.WriteAllBytes(Path.Combine(data, "c.webp"), new byte[100]);
        var script = Path.Combine(_folder, "junk.lora");
        File.WriteAllText(script, "dataset \"junk\" { folder \"junk\" }\nlora { rank 2 }\ntrain { steps 1 }\n");

        var result = await CliRun.RunAsync("run", script);

        Assert.True(result.ExitCode == 1, result.Error + result.Output);
        Assert.Contains("has no usable images", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
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
    public async Task a_run_in_its_own_process_prints_no_line_of_libtorchs_own_log()
    {
        // On a CPU NNPACK does not know (Zen 5), libtorch logged "Could not initialize NNPACK!" once per
        // convolution: 200,000 lines in one run. The engine raises that C++ log's level (OneDnn); only a real
        // process shows what reaches the terminal.
        var script = Script(KiteScript.Replace("targets [attention]", "targets [attention, conv]") + "\ntrain { steps 2; batch 2; output \"out/kite.safetensors\" }\n");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "lora.dll"), "run", script, "--json"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("TORCH_CPP_LOG_LEVEL");
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains("\"event\":\"finished\"", output);
        Assert.DoesNotContain("NNPACK", await error);
        Assert.DoesNotMatch(@"(?m)^\[W\d{4} ", await error);
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
