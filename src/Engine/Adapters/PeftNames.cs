namespace LoraNotebooks.Engine.Adapters;

/// <summary>Names of the peft layout: keys, the config file, and which part of a model a key belongs to.</summary>
internal static class PeftNames
{
    public const string KeyPrefix = "base_model.model.";
    public const string DownSuffix = ".lora_A.weight";
    public const string UpSuffix = ".lora_B.weight";
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The path segment naming a part when one file holds several (peft saves one model per file).</summary>
    public static string PartName(string kohyaPrefix) => kohyaPrefix switch
    {
        Lora.ModelPart.UNet => "unet",
        Lora.ModelPart.TextEncoder => "text_encoder",
        _ => kohyaPrefix,
    };

    /// <summary>The config beside <paramref name="weightsPath"/>.</summary>
    public static string ConfigPath(string weightsPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, ConfigFile);
}
