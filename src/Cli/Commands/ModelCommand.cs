using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraNotebooks.Engine.Models.StableDiffusion;

namespace LoraNotebooks.Cli.Commands;

/// <summary><c>lora model info NAME [--json]</c>: the sizes of a base architecture, without its weights.</summary>
public static class ModelCommand
{
    private static readonly Dictionary<string, StableDiffusionConfig> Architectures = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sd15"] = StableDiffusionConfig.Sd15,
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = $"The architecture: {string.Join(", ", Architectures.Keys)}." };
        name.AcceptOnlyFromAmong([.. Architectures.Keys]);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var info = new Command("info", "Build the architecture on the meta device (no weights, no memory) and report its parameter counts and default LoRA modules.") { name, json };
        info.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            var requested = parse.GetValue(name)!;
            var summary = ArchitectureSummary.Of(Architectures[requested]);
            output.WriteLine(parse.GetValue(json) ? ToJson(summary) : ToText(requested, summary));
            return Task.FromResult(ExitCodes.Ok);
        }, token));
        return new Command("model", "Inspect base model architectures.") { info };
    }

    /// <summary>The summary as one JSON object.</summary>
    public static string ToJson(ArchitectureSummary summary) => JsonSerializer.Serialize(new
    {
        unet = summary.UNet,
        text_encoder = summary.TextEncoder,
        vae = summary.Vae,
        lora_unet_modules = summary.LoraUNetModules,
        lora_te_modules = summary.LoraTextEncoderModules,
        lora_parameters_per_rank = summary.LoraParametersPerRank,
    });

    /// <summary>The summary as aligned text.</summary>
    public static string ToText(string name, ArchitectureSummary summary)
    {
        var inv = CultureInfo.InvariantCulture;
        string Millions(long count) => (count / 1e6).ToString("F1", inv) + " M";
        var rank8 = Dsl.Preflight.ByteSize.Format(summary.LoraParametersPerRank * 8 * 2);
        return string.Join(Environment.NewLine,
            $"architecture  {name}",
            $"unet          {Millions(summary.UNet)} parameters",
            $"text encoder  {Millions(summary.TextEncoder)} parameters",
            $"vae           {Millions(summary.Vae)} parameters",
            $"lora modules  {summary.LoraUNetModules} unet + {summary.LoraTextEncoderModules} text encoder (kohya's defaults)",
            $"lora size     {summary.LoraParametersPerRank.ToString("N0", inv)} parameters per rank; rank 8 in fp16: {rank8}");
    }
}
