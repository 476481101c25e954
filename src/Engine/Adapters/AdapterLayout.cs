namespace LoraNotebooks.Engine.Adapters;

/// <summary>How an adapter's tensors are named in a file.</summary>
public enum AdapterLayout
{
    /// <summary>kohya sd-scripts: <c>lora_unet_…​.lora_down.weight</c>, <c>.lora_up.weight</c>, <c>.alpha</c>; read by ComfyUI, A1111 and diffusers.</summary>
    Kohya,

    /// <summary>Hugging Face peft: <c>base_model.model.….lora_A.weight</c> / <c>lora_B.weight</c>, with alpha in <c>adapter_config.json</c>.</summary>
    Peft,

    /// <summary>A safetensors file that holds no LoRA tensors (reported by inspect only).</summary>
    Plain,
}
