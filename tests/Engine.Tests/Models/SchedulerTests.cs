using LoraNotebooks.Engine.Diffusion;
using LoraNotebooks.Engine.Native;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Models;

public class SchedulerTests
{
    static SchedulerTests() => TorchNativeLoader.EnsureLoadable();

    [Fact]
    public void scaled_linear_matches_stable_diffusion_and_cosine_ends_at_pure_noise()
    {
        var scaled = new DdpmSchedule(new DiffusionConfig { BetaSchedule = BetaSchedule.ScaledLinear });
        Assert.Equal(0.99915, scaled.AlphasCumprod[0], 5);
        Assert.Equal(0.0047, scaled.AlphasCumprod[999], 4);
        var cosine = new DdpmSchedule(new DiffusionConfig());
        Assert.True(cosine.AlphasCumprod[999] < 1e-6);
        Assert.True(cosine.AlphasCumprod.Zip(cosine.AlphasCumprod.Skip(1)).All(p => p.Second < p.First));
    }

    [Fact]
    public void trailing_timesteps_start_at_the_noisiest_step()
    {
        var ddim = new DdimScheduler(new DdpmSchedule(new DiffusionConfig()));
        ddim.SetTimesteps(4);
        Assert.Equal([999L, 749, 499, 249], ddim.Timesteps);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon, SamplerKind.Ddim)]
    [InlineData(PredictionType.VPrediction, SamplerKind.Ddim)]
    [InlineData(PredictionType.Epsilon, SamplerKind.EulerAncestral)]
    [InlineData(PredictionType.VPrediction, SamplerKind.EulerAncestral)]
    public void a_last_step_with_a_perfect_prediction_lands_on_the_clean_image(PredictionType prediction, SamplerKind kind)
    {
        var schedule = new DdpmSchedule(new DiffusionConfig { PredictionType = prediction });
        var scheduler = kind.Create(schedule);
        scheduler.SetTimesteps(2);
        var original = rand(2, 3, 4, 4) * 2 - 1;
        var noise = randn(2, 3, 4, 4);
        var t = full([2], scheduler.Timesteps[1], dtype: int64);
        var noisy = schedule.AddNoise(original, noise, t);
        // Euler works in σ-space: x = x_t·√(σ²+1), which ScaleModelInput undoes.
        var sample = kind == SamplerKind.Ddim ? noisy : noisy * (1 / scheduler.ScaleModelInput(ones(1), 1).item<float>());
        var generators = new[] { new Generator(1), new Generator(2) };
        var clean = scheduler.Step(schedule.Target(original, noise, t), 1, sample, generators);
        Assert.True(clean.allclose(original, atol: 1e-4), $"max error {(clean - original).abs().max().item<float>()}");
    }

    [Fact]
    public void min_snr_weights_cap_the_easy_timesteps()
    {
        var schedule = new DdpmSchedule(new DiffusionConfig { PredictionType = PredictionType.Epsilon });
        var weights = schedule.MinSnrWeights(tensor(new long[] { 0, 999 }), 5).data<float>().ToArray();
        Assert.True(weights[0] < 0.01);
        Assert.Equal(1, weights[1], 4);
    }
}
