using System.Text.Json;

namespace LoraNotebooks.Cli.Tests;

public sealed class NotebookCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("lora-cli-notebook-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task jupyter_install_writes_a_kernelspec_that_starts_the_host_by_absolute_path_on_loopback()
    {
        var host = Path.Combine(folder, "dotnet-interactive");
        await File.WriteAllTextAsync(host, "");
        var result = await CliRun.RunAsync("jupyter", "install", "--path", folder, "--host", host);

        Assert.Equal(0, result.ExitCode);
        using var spec = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "lora-csharp", "kernel.json")));
        var argv = spec.RootElement.GetProperty("argv").EnumerateArray().Select(a => a.GetString()).ToList();
        // GNU env resets SIGINT to its default first: a Jupyter started in the background passes it on ignored.
        Assert.Equal(["/usr/bin/env", "--default-signal=INT", host, "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"], argv);
        Assert.Equal("signal", spec.RootElement.GetProperty("interrupt_mode").GetString());
    }

    [Fact]
    public async Task jupyter_install_without_the_host_says_how_to_install_it()
    {
        var result = await CliRun.RunAsync("jupyter", "install", "--path", folder, "--host", Path.Combine(folder, "missing"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001", result.Error);
    }

    [Fact]
    public async Task notebook_run_lets_cells_use_the_engine_and_torchsharp_as_the_host_does_after_loading_the_package()
    {
        var input = Path.Combine(folder, "engine.ipynb");
        await File.WriteAllTextAsync(input, """
            {"cells": [
              {"cell_type": "code", "metadata": {}, "source": ["#r \"nuget:LoraNotebooks.Kernel,0.1.0\""], "outputs": [], "execution_count": null},
              {"cell_type": "code", "metadata": {}, "source": ["using LoraNotebooks.Engine.World;\n", "using TorchSharp;\n", "$\"{WorldGenerator.Member(\"concept\", \"star\", 1, 0, \"zxc\")[0].Caption} | {torch.ones(2).sum().item<float>()}\""], "outputs": [], "execution_count": null}
            ], "metadata": {"kernelspec": {"name": "lora-csharp", "display_name": "C#", "language": "C#"}}, "nbformat": 4, "nbformat_minor": 5}
            """);
        var output = Path.Combine(folder, "out.ipynb");
        var result = await CliRun.RunAsync("notebook", "run", input, "-o", output);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var text = await File.ReadAllTextAsync(output);
        Assert.Contains("zxc", text);
        Assert.Contains("| 2", text);
    }

    [Fact]
    public async Task notebook_run_writes_outputs_back_and_exits_1_when_a_cell_fails()
    {
        var input = Path.Combine(folder, "nb.ipynb");
        await File.WriteAllTextAsync(input, """
            {"cells": [
              {"cell_type": "code", "metadata": {}, "source": ["#r \"nuget:LoraNotebooks.Kernel,0.1.0\""], "outputs": [], "execution_count": null},
              {"cell_type": "code", "metadata": {}, "source": ["#!lora-do help"], "outputs": [], "execution_count": null},
              {"cell_type": "code", "metadata": {}, "source": ["#!lora --check\n", "train {\n", "  optimizer adamw2\n", "}"], "outputs": [], "execution_count": null},
              {"cell_type": "code", "metadata": {}, "source": ["System.IO.Directory.GetCurrentDirectory()"], "outputs": [], "execution_count": null}
            ], "metadata": {"kernelspec": {"name": "lora-csharp", "display_name": "C#", "language": "C#"}}, "nbformat": 4, "nbformat_minor": 5}
            """);
        var output = Path.Combine(folder, "out.ipynb");
        var result = await CliRun.RunAsync("notebook", "run", input, "-o", output);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cell 3: FAILED", result.Output);
        var text = await File.ReadAllTextAsync(output);
        Assert.Contains("#!lora-do compare", text);          // help's output
        Assert.Contains("did you mean 'adamw'", text);       // the failure, as an error output
        Assert.Contains(Path.GetFileName(folder), text);      // it ran in the notebook's folder
    }
}
