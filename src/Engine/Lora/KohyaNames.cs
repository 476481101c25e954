namespace LoraNotebooks.Engine.Lora;

/// <summary>Names of adapters and their tensors in the kohya layout (what ComfyUI, A1111 and diffusers read).</summary>
public static class KohyaNames
{
    /// <summary>
    /// <c>lora_unet</c> + <c>down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q</c> →
    /// <c>lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q</c>.
    /// </summary>
    public static string For(string prefix, string modulePath) => prefix + "_" + modulePath.Replace('.', '_');

    /// <summary>The down projection's weight key.</summary>
    public static string Down(string adapter) => adapter + ".lora_down.weight";

    /// <summary>The up projection's weight key.</summary>
    public static string Up(string adapter) => adapter + ".lora_up.weight";

    /// <summary>A DoRA adapter's magnitudes, one per input (or output) feature of its layer; ComfyUI and LyCORIS read them under this key.</summary>
    public static string DoraScale(string adapter) => adapter + ".dora_scale";

    /// <summary>The 0-dimensional alpha tensor's key.</summary>
    public static string Alpha(string adapter) => adapter + ".alpha";
}
