using LoraNotebooks.Engine.Data;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.Training;

namespace LoraNotebooks.Engine.Tests.Training;

public sealed class BaseDrawingsTests : IDisposable
{
    private readonly TrainingSetup _setup = new();

    public void Dispose() => _setup.Dispose();

    private TrainingData Load(string preserve) =>
        TrainingData.Load(_setup.Plan(TrainingSetup.Script("steps 2", extra: $"dataset \"kept\" {{\n  folder \"data\"\n  {preserve}\n}}")).Training!, _setup.Model.Resolution);

    [Fact]
    public void a_preserving_dataset_drawn_by_the_base_holds_the_bases_samples_of_its_own_captions()
    {
        var data = Load("preserve weight 2 drawn_by base");

        var drawn = BaseDrawings.Draw(data, _setup.Model);

        Assert.Same(data.Datasets[0], drawn.Datasets[0]);
        var loaded = data.Datasets[1].Train;
        var pictures = drawn.Datasets[1].Train;
        Assert.Equal(loaded.Select(i => i.Caption), pictures.Select(i => i.Caption));
        for (var i = 0; i < pictures.Count; i++)
        {
            using var sample = _setup.Model.Sample([loaded[i].Caption], [BaseDrawings.FirstSeed * 2 + i], WorldEvaluation.Steps, _setup.Model.DefaultGuidance);
            Assert.Equal(ImageTensors.ToRgb(sample)[0], pictures[i].Rgb);
            Assert.Equal(new Bucket(_setup.Model.Resolution, _setup.Model.Resolution), pictures[i].Bucket);
        }
        Assert.Contains(pictures, p => !loaded.Any(l => l.Rgb.SequenceEqual(p.Rgb)));
        // Each picture depends only on its caption, its seed and the base: a resumed run preserves the same ones.
        Assert.Equal(pictures.Select(p => p.Rgb), BaseDrawings.Draw(data, _setup.Model).Datasets[1].Train.Select(p => p.Rgb));
    }

    [Fact]
    public void a_drawn_dataset_with_another_resolution_than_the_bases_is_warned_about()
    {
        var other = _setup.Model.Resolution * 2;

        var warning = Assert.Single(BaseDrawings.Warnings(Load($"preserve drawn_by base\n  resolution {other}"), _setup.Model));

        Assert.Equal($"dataset 'kept' is drawn by the base, which draws at its own {_setup.Model.Resolution} px: its resolution {other} is not used", warning);
        Assert.Empty(BaseDrawings.Warnings(Load($"preserve\n  resolution {other}"), _setup.Model));
        Assert.Empty(BaseDrawings.Warnings(Load($"preserve drawn_by base\n  resolution {_setup.Model.Resolution}"), _setup.Model));
    }

    [Fact]
    public void without_drawn_by_base_the_data_is_kept_as_loaded()
    {
        var data = Load("preserve weight 2");

        Assert.Same(data, BaseDrawings.Draw(data, _setup.Model));
    }
}
