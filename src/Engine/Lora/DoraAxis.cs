namespace LoraNotebooks.Engine.Lora;

/// <summary>
/// Which features a DoRA layer's magnitudes belong to. Trainers differ: OneTrainer, the paper's column
/// form and ComfyUI's reading of a [1, in] <c>dora_scale</c> keep one per input feature; LyCORIS by default
/// (<c>wd_on_out</c>), peft and the official code keep one per output feature.
/// </summary>
public enum DoraAxis
{
    /// <summary>One magnitude per input feature: <c>dora_scale</c> [1, in] ([1, in, 1, 1] on a convolution), norms over input columns.</summary>
    Input,

    /// <summary>One magnitude per output feature: <c>dora_scale</c> [out, 1] ([out, 1, 1, 1] on a convolution), norms over output rows.</summary>
    Output,
}
