using System.Text.Json;
using LoraNotebooks.Engine.Adapters;
using LoraNotebooks.Engine.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraNotebooks.Cli.Tests;

public sealed class InspectCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-cli-tests").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteAdapter(AdapterLayout layout = AdapterLayout.Kohya, bool dora = false, DoraAxis doraAxis = DoraAxis.Input)
    {
        var model = nn.Sequential(("fc1", nn.Linear(4, 6)), ("fc2", nn.Linear(6, 2)));
        var lora = new LoraModel(new ModelPart(ModelPart.UNet, model));
        var network = lora.Add("a", new LoraOptions { Rank = 2, Alpha = 1, UseDora = dora, DoraAxis = doraAxis });
        var path = Path.Combine(_folder, layout == AdapterLayout.Peft ? "peft/adapter_model.safetensors" : "a.safetensors");
        AdapterFile.Save(network, path, layout, new Dictionary<string, string> { ["modelspec.trigger_phrase"] = "sks" });
        return path;
    }

    [Fact]
    public async Task inspect_prints_the_format_ranks_and_metadata_of_a_kohya_file()
    {
        var result = await CliRun.RunAsync("inspect", WriteAdapter());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("format      kohya", result.Output);
        Assert.Contains("adapters    2 (lora_unet: 2)", result.Output);
        Assert.Contains("modelspec.trigger_phrase = sks", result.Output);
        Assert.DoesNotContain("dora", result.Output);
        Assert.Empty(result.Error);
    }

    [Theory]
    [InlineData(DoraAxis.Input, "input", 48)]   // 2·4 + 6·2 + 2·6 + 2·2 low-rank, 4 + 6 magnitudes, 2 alphas
    [InlineData(DoraAxis.Output, "output", 46)] // the same low-rank, 6 + 2 magnitudes, 2 alphas
    public async Task inspect_says_which_layers_of_a_dora_file_carry_magnitudes_and_on_which_side(DoraAxis axis, string side, int parameters)
    {
        var result = await CliRun.RunAsync("inspect", WriteAdapter(dora: true, doraAxis: axis));
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"dora        2 of 2 layers learn a magnitude per {side} feature (dora_scale)", result.Output);
        Assert.Contains($"(8 tensors, {parameters} parameters)", result.Output);
    }

    [Fact]
    public async Task inspect_json_prints_one_object_with_the_numbers()
    {
        var result = await CliRun.RunAsync("inspect", WriteAdapter(AdapterLayout.Peft), "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal("peft", root.GetProperty("format").GetString());
        Assert.Equal(2, root.GetProperty("adapters").GetInt32());
        Assert.Equal(2, root.GetProperty("ranks")[0].GetInt32());
        Assert.Equal(1.0, root.GetProperty("alphas")[0].GetDouble());
        Assert.Equal(2 * 4 + 6 * 2 + 2 * 6 + 2 * 2, root.GetProperty("parameters").GetInt64());
    }

    [Theory]
    [InlineData("missing.safetensors", "missing.safetensors")]
    [InlineData("garbage.safetensors", "header")]
    [InlineData("empty.safetensors", "")]
    public async Task a_malformed_or_missing_file_gives_one_clear_line_and_exit_code_1(string name, string mentions)
    {
        var path = Path.Combine(_folder, name);
        if (name == "garbage.safetensors")
            File.WriteAllBytes(path, [0x10, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"', (byte)'a', 1, 2, 3, 4, 5]);
        if (name == "empty.safetensors")
            File.WriteAllBytes(path, []);
        var result = await CliRun.RunAsync("inspect", path);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("lora: error: ", line);
        Assert.Contains(mentions, line);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public async Task world_export_of_an_unknown_member_names_the_members()
    {
        var result = await CliRun.RunAsync("world", "export", "concept", "stra", Path.Combine(_folder, "out"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("star, heart, cross, crescent", result.Error);
        Assert.DoesNotContain("Parameter", result.Error);
    }

    [Fact]
    public async Task world_list_names_every_family_and_the_held_in_shapes_a_preserve_dataset_can_show()
    {
        var result = await CliRun.RunAsync("world", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("ada, bo, kit", result.Output);
        Assert.Matches(@"(?m)^held_in +circle, square, triangle, figure ", result.Output);
    }

    [Fact]
    public async Task world_export_writes_png_and_caption_pairs()
    {
        var dir = Path.Combine(_folder, "star");
        var result = await CliRun.RunAsync("world", "export", "concept", "star", dir, "--count", "3");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, Directory.GetFiles(dir, "*.png").Length);
        Assert.Equal(3, Directory.GetFiles(dir, "*.txt").Length);
    }
}
