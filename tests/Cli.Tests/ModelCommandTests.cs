using System.Text.Json;

namespace LoraNotebooks.Cli.Tests;

public sealed class ModelCommandTests
{
    [Fact]
    public async Task model_info_sd15_json_prints_the_parameter_counts_and_kohya_module_counts()
    {
        var result = await CliRun.RunAsync("model", "info", "sd15", "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.Equal(859_520_964, root.GetProperty("unet").GetInt64());
        Assert.Equal(123_060_480, root.GetProperty("text_encoder").GetInt64());
        Assert.Equal(83_653_863, root.GetProperty("vae").GetInt64());
        Assert.Equal(192, root.GetProperty("lora_unet_modules").GetInt32());
        Assert.Equal(72, root.GetProperty("lora_te_modules").GetInt32());
        Assert.Equal(589_824, root.GetProperty("lora_parameters_per_rank").GetInt64());
    }

    [Fact]
    public async Task model_info_text_reports_sizes_in_millions()
    {
        var result = await CliRun.RunAsync("model", "info", "sd15");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("unet          859.5 M parameters", result.Output);
        Assert.Contains("lora modules  192 unet + 72 text encoder", result.Output);
    }

    [Fact]
    public async Task an_unknown_architecture_is_a_usage_error()
    {
        var result = await CliRun.RunAsync("model", "info", "sdxl");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("sdxl", result.Error);
    }
}
