using Microsoft.DotNet.Interactive.Events;

namespace LoraNotebooks.Kernel.Tests;

public sealed class LoraDoTests
{
    [Fact]
    public async Task an_unknown_option_is_an_error_that_lists_the_valid_ones()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do sample --adapter a.safetensors --prompt \"a star\" --colour red");
        Assert.Equal("#!lora-do: unknown option '--colour' for '#!lora-do sample'; options: --adapter, --prompt, --strength, --seed, --steps, --guidance", result.Failure());
    }

    [Fact]
    public async Task an_unknown_action_is_an_error_that_lists_the_actions()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do train");
        Assert.Equal("#!lora-do: unknown action 'train'; actions: check, inspect, sample, compare, help", result.Failure());
    }

    [Fact]
    public async Task help_lists_every_action_and_the_cell_forms()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do help");
        result.AssertSucceeded();
        var help = result.Events.OfType<DisplayedValueProduced>().Single().Text()!;
        Assert.Contains("#!lora --check", help);
        Assert.Contains("#!lora-do compare --adapter PATH --prompt TEXT", help);
    }

    [Fact]
    public async Task check_reports_a_files_diagnostics_with_its_name()
    {
        using var kernel = await KernelHarness.StartAsync();
        var file = Path.Combine(kernel.Folder, "bad.lora");
        await File.WriteAllTextAsync(file, "train {\n  optimizer adamw2\n}\n");
        var result = await kernel.SubmitAsync($"#!lora-do check \"{file}\"");
        Assert.Contains("bad.lora(2,13): error LORA", result.Failure());
    }

    [Fact]
    public async Task sample_and_compare_draw_grids_and_inspect_shows_the_card_in_a_csharp_cell()
    {
        using var kernel = await KernelHarness.StartAsync();
        (await kernel.SubmitAsync(kernel.TinyScript(steps: 2, name: "magic"))).AssertSucceeded();
        var adapter = Path.Combine(kernel.Folder, "magic.safetensors");

        var sample = await kernel.SubmitAsync($"#!lora-do sample --adapter \"{adapter}\" --prompt \"a red circle\" --steps 2\nvar after = 1;");
        sample.AssertSucceeded();
        Assert.Contains(sample.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("a red circle (seed 1)") == true);

        var compare = await kernel.SubmitAsync($"#!lora-do compare --adapter \"{adapter}\" --prompt \"a zxc star\" --prompt \"a red circle\" --strengths 0,1 --steps 2");
        compare.AssertSucceeded();
        var grid = compare.Events.OfType<DisplayedValueProduced>().Single(e => e.Html()?.Contains("lora-grid") == true).Html()!;
        Assert.Equal(4, grid.Split("data:image/png").Length - 1);
        Assert.Contains("strength 0", grid);

        var inspect = await kernel.SubmitAsync($"#!lora-do inspect \"{adapter}\"");
        inspect.AssertSucceeded();
        Assert.Contains(inspect.Events.OfType<DisplayedValueProduced>(), e => e.Html()?.Contains("rank") == true && e.Html()!.Contains("magic.safetensors"));
    }

    [Fact]
    public async Task a_missing_file_is_a_clean_error()
    {
        using var kernel = await KernelHarness.StartAsync();
        var result = await kernel.SubmitAsync("#!lora-do inspect /nonexistent/x.safetensors");
        Assert.StartsWith("#!lora-do inspect: ", result.Failure());
        Assert.DoesNotContain("   at ", result.Failure());
    }
}
