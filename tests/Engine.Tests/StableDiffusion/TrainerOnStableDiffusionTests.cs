using LoraNotebooks.Dsl;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Lora;
using LoraNotebooks.Engine.Models.StableDiffusion;
using LoraNotebooks.Engine.Native;
using LoraNotebooks.Engine.SafeTensors;
using LoraNotebooks.Engine.Tests.Models;
using LoraNotebooks.Engine.Training;
using LoraNotebooks.Engine.World;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.StableDiffusion;

/// <summary>A script's <c>base</c> naming an SD checkpoint trains a kohya adapter through the same language, PlanRunner and trainer.</summary>
public class TrainerOnStableDiffusionTests
{
    static TrainerOnStableDiffusionTests() => TorchNativeLoader.EnsureLoadable();

    /// <summary>A tiny SD model written as <paramref name="layout"/> under <paramref name="root"/>; returns the path a script names.</summary>
    private static string WriteBase(string root, string layout)
    {
        using var model = TinyStableDiffusion.Model();
        if (layout == "folder")
        {
            var folder = Path.Combine(root, "tiny-sd");
            TinyStableDiffusion.WriteDiffusersFolder(model, folder, ScalarType.Float32);
            return "tiny-sd";
        }
        StableDiffusionCheckpoint.SaveSingleFile(model, Path.Combine(root, "tiny-sd.safetensors"));
        TinyStableDiffusion.WriteTokenizer(root);
        return "tiny-sd.safetensors";
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("single file")]
    public void a_script_with_a_stable_diffusion_base_trains_a_kohya_adapter(string layout)
    {
        var root = TinyStableDiffusion.TempFolder();
        var data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        var world = new StandInWorld(16);
        for (var i = 0; i < 4; i++)
        {
            var example = world.Get(i);
            RgbImage.WritePng(Path.Combine(data, $"img-{i}.png"), example.Rgb, 16);
            File.WriteAllText(Path.Combine(data, $"img-{i}.txt"), example.Caption);
        }
        // Masks of the left half: the masked loss averages them down to the latent's size.
        var masks = Directory.CreateDirectory(Path.Combine(root, "masks")).FullName;
        for (var i = 0; i < 4; i++)
            RgbImage.WritePng(Path.Combine(masks, $"img-{i}.png"), [.. Enumerable.Range(0, 16 * 16 * 3).Select(b => (byte)(b / 3 % 16 < 8 ? 255 : 0))], 16);
        var script = $$"""
            base "{{WriteBase(root, layout)}}"
            dataset "squares" {
              folder "data"
              trigger "cat"
              mask "masks"
            }
            lora {
              rank 2
              targets [attention, ff, text_encoder]
            }
            train {
              steps 3
              batch 2
              lr 1e-3
              seed 3
              output "out/adapter.safetensors"
            }
            """;
        var path = Path.Combine(root, "script.lora");
        var check = LoraScript.Check(script, path, new CheckContext(WorldCatalog.Instance, new PreflightEstimator(Path.Combine(root, "calibration"))));
        Assert.False(check.HasErrors, check.Render(path));

        var finished = PlanRunner.Run(check.Plan!);

        Assert.Equal(3, finished.Steps);
        using var file = SafeTensorsFile.Open(finished.AdapterPath!);
        Assert.Contains("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", file.Tensors.Keys);
        Assert.Contains("lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_ff_net_2.lora_up.weight", file.Tensors.Keys);
        Assert.Contains("lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha", file.Tensors.Keys);
        Assert.Equal("sd_v1", file.Metadata["ss_base_model_version"]);
        // The DSL's attention + ff + text_encoder groups select exactly kohya's default SD targets.
        using var model = TinyStableDiffusion.Model();
        var kohya = LoraTarget.Find(model.Parts, new LoraOptions { Targets = StableDiffusionModel.KohyaTargets }).Select(t => t.Name);
        Assert.Equal(kohya.Order(), file.Tensors.Keys.Where(k => k.EndsWith(".lora_down.weight")).Select(k => k[..^".lora_down.weight".Length]).Order());

        var estimate = check.Summary!.Estimate!;
        Assert.Equal(new FileInfo(finished.AdapterPath!).Length, estimate.AdapterFileBytes);
        Assert.NotNull(estimate.Gpu);
        Assert.True(estimate.Gpu.CheckpointedBytes < estimate.Gpu.Bytes);
        Assert.Contains("with gradient checkpointing (estimate", PreflightRenderer.Render(check.Summary));
    }

    [Fact]
    public void a_single_file_checkpoint_keeps_its_architecture_in_metadata_and_loads_back_without_being_told()
    {
        var root = TinyStableDiffusion.TempFolder();
        WriteBase(root, "single file");
        using var loaded = StableDiffusionCheckpoint.LoadSingleFile(Path.Combine(root, "tiny-sd.safetensors"));
        Assert.Equal(StableDiffusionConfig.Tiny.ToJson(), loaded.Config.ToJson());
    }

    [Fact]
    public void the_gpu_estimate_for_sd15_at_512_px_follows_the_documented_formula()
    {
        var sd15 = ArchitectureSummary.Of(StableDiffusionConfig.Sd15);
        var adapter = sd15.LoraParametersPerRank * 8;
        var weights = (sd15.UNet + sd15.TextEncoder + sd15.Vae) * 2;
        Assert.Equal((800L << 20) + weights + adapter * 16 + 450_000_000L * 2 * 2,
            GpuMemoryEstimate.Training(sd15, adapter, batch: 2, resolution: 512, gradientCheckpointing: false));
        Assert.Equal((800L << 20) + weights + adapter * 16 + 150_000_000L * 2 * 2,
            GpuMemoryEstimate.Training(sd15, adapter, batch: 2, resolution: 512, gradientCheckpointing: true));
    }
}
