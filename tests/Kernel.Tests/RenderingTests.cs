using LoraNotebooks.Kernel.Display;
using LoraNotebooks.Kernel.Hosting;
using LoraNotebooks.Kernel.Magic;
using LoraNotebooks.Kernel.Runs;

namespace LoraNotebooks.Kernel.Tests;

public sealed class RenderingTests
{
    private static readonly StepPoint[] Steps =
        [.. Enumerable.Range(1, 10).Select(i => new StepPoint(i, 10, 1.0 / i, 1.2 / i, 1e-4, 8, TimeSpan.FromSeconds(10 - i)))];

    [Fact]
    public void the_static_loss_chart_is_an_svg_with_raw_and_smoothed_lines_and_validation_dots()
    {
        var svg = LossChart.Svg(Steps, [new ValidationPoint(5, 0.3)]);
        Assert.Equal(2, svg.Split("<polyline").Length - 1);
        Assert.Equal(10, svg.Split("<polyline")[1].Split("points=\"")[1].Split('"')[0].Split(' ').Length);
        Assert.Contains("<circle", svg);
        Assert.DoesNotContain("<script", svg);
    }

    [Fact]
    public void the_interactive_chart_is_a_plotly_figure_that_replaces_the_svg_only_when_plotly_is_loaded()
    {
        var json = LossChart.FigureJson(Steps, [new ValidationPoint(5, 0.3)]);
        Assert.Contains("\"smoothed\"", json);
        Assert.Contains("\"validation\"", json);
        var html = LossChart.Render(Steps, []);
        Assert.Contains("<svg", html);
        Assert.Contains("if(window.Plotly&&el)", html);
        Assert.DoesNotContain("cdn", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void the_interactive_chart_keeps_most_of_its_height_for_the_plot()
    {
        var layout = System.Text.Json.Nodes.JsonNode.Parse(LossChart.FigureJson(Steps, []))!["layout"]!;
        var height = (int)layout["height"]!;
        var margins = (int)layout["margin"]!["t"]! + (int)layout["margin"]!["b"]!;
        Assert.True(height - margins >= 0.7 * height, $"plot area {height - margins} px of {height} px");
        Assert.Equal("step", (string?)layout["xaxis"]!["title"]!["text"]);
    }

    [Fact]
    public void plotly_js_is_inline_and_hides_amd_define_while_it_loads()
    {
        var block = PlotlyJs.Block();
        Assert.True(block.Length > 3_000_000);
        Assert.True(block.IndexOf("window.define=undefined", StringComparison.Ordinal) < block.IndexOf("plotly.js v2.28.0", StringComparison.Ordinal));
        Assert.EndsWith("<script type=\"text/javascript\">window.define=window.__loraDefine;</script>", block);
    }

    [Fact]
    public void scores_read_as_losses_and_judged_percentages_and_are_absent_when_nothing_was_measured()
    {
        var scores = Html.Scores(new Engine.Training.EvaluationMetrics(TrainLoss: 0.12345, ValidationLoss: 0.2, Fidelity: 0.375, Leakage: 0.125, PromptFollowing: 0.5));
        Assert.Equal("train loss 0.1235 · validation loss 0.2 · fidelity 38% · leakage 13% · prompt following 50%", scores);
        Assert.Equal("fidelity 0%", Html.Scores(new Engine.Training.EvaluationMetrics(Fidelity: 0)));
        Assert.Null(Html.Scores(new Engine.Training.EvaluationMetrics()));
        Assert.Null(Html.Scores(null));
    }

    [Fact]
    public void a_grid_is_a_table_with_column_labels_on_top_and_row_labels_on_the_left()
    {
        var png = Engine.Imaging.RgbImage.EncodePng(new byte[4 * 4 * 3], 4);
        var html = GridHtml.Render(new SampleGrid("step 3", ["a <star>", "a circle"], ["strength 0", "strength 1"], [png, png, png, png]));
        Assert.Contains("<tr><th></th><th style=\"padding:2px 6px\">strength 0</th>", html);
        Assert.Contains("a &lt;star&gt;</th><td", html);
        Assert.Equal(4, html.Split("data:image/png;base64,").Length - 1);
    }

    [Theory]
    [InlineData("#!lora-do inspect \"my file.safetensors\"", "inspect \"my file.safetensors\"")]
    [InlineData("#!lora-do sample --adapter a.safetensors --prompt \"a \\\"red\\\" star\" --seed 3", "load \"a.safetensors\" strength 1\ngrid prompts [\"a \\\"red\\\" star\"] strengths [1] seeds [3] steps 20")]
    [InlineData("#!lora-do compare --adapter a.safetensors --prompt x --strengths 0,0.5", "load \"a.safetensors\"\ngrid prompts [\"x\"] strengths [0, 0.5] seeds [1] steps 20")]
    [InlineData("#!lora-do sample --adapter a.safetensors --prompt x --guidance 6", "load \"a.safetensors\" strength 1\ngrid prompts [\"x\"] strengths [1] seeds [1] steps 20 guidance 6")]
    public void magic_lines_become_one_line_scripts(string line, string script)
    {
        var (action, arguments, error) = MagicArguments.Parse(line, LoraDo.Spec);
        Assert.Null(error);
        Assert.Equal(script, LoraDo.ToScript(action, arguments!));
    }

    [Theory]
    [InlineData("#!lora-do inspect", "'#!lora-do inspect' needs ADAPTER; usage: #!lora-do inspect ADAPTER")]
    [InlineData("#!lora-do inspect a b", "'#!lora-do inspect' needs ADAPTER; usage: #!lora-do inspect ADAPTER")]
    [InlineData("#!lora-do compare --prompt x", "'#!lora-do compare' needs --adapter; usage: #!lora-do compare --adapter PATH --prompt TEXT [--strengths LIST] [--seed N] [--steps N] [--guidance X]")]
    [InlineData("#!lora-do sample --adapter a --prompt", "option '--prompt' needs a value (a prompt; one grid row each)")]
    [InlineData("#!lora-do sample --adapter a --prompt a --seed 1 --seed 2", "option '--seed' can be given only once")]
    [InlineData("#!lora-do help now", "'#!lora-do help' takes no values without an option name; got 'now'")]
    public void magic_lines_are_checked_strictly(string line, string message)
    {
        Assert.Equal(message, MagicArguments.Parse(line, LoraDo.Spec).Error);
    }

    [Fact]
    public void the_interrupt_bridge_recognises_the_private_signal_table_of_this_runtime()
    {
        Assert.Null(InterruptBridge.Probe());
    }

    [Fact]
    public void the_load_line_names_the_version_and_the_device()
    {
        Assert.Matches(@"^LoraNotebooks \d+\.\d+\.\d+ loaded: device (CPU|CUDA \(\d+ GPU\)); interrupt: on\.", LoraKernelExtension.LoadLine("interrupt: on"));
    }
}
