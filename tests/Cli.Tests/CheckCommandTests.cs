namespace LoraNotebooks.Cli.Tests;

public sealed class CheckCommandTests
{
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "LoraNotebooks.sln")))
                return folder.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples"), "*.lora").Order())
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory, MemberData(nameof(Examples))]
    public async Task every_example_passes_check_against_the_real_world_catalog(string example)
    {
        var result = await CliRun.RunAsync("check", Path.Combine(RepositoryRoot(), "examples", example));
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.DoesNotContain(": error LORA", result.Output);
    }

    [Fact]
    public async Task check_prints_errors_compiler_style_and_exits_1()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.lora");
        File.WriteAllText(path, "dataset \"d\" {\n  world concept \"stra\"\n}\ntrain {\n  optimizer adamw2\n}\n");
        try
        {
            var result = await CliRun.RunAsync("check", path);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"{path}(2,17): error LORA0120:", result.Output);
            Assert.Contains("did you mean 'star'?", result.Output);
            Assert.Contains("did you mean 'adamw'?", result.Output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task check_shows_the_engines_estimates_labelled_as_estimates()
    {
        var result = await CliRun.RunAsync("check", Path.Combine(RepositoryRoot(), "examples", "quickstart.lora"));
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("trainable parameters: ~", result.Output);
        Assert.Contains("adapter file: ~", result.Output);
        Assert.Contains("peak memory: ~", result.Output);
        Assert.Contains("(estimate)", result.Output);
        Assert.Contains("estimates: calibrated on this machine", result.Output);
    }

    [Fact]
    public async Task fmt_prints_the_canonical_form_which_formats_to_itself()
    {
        var path = Path.Combine(RepositoryRoot(), "examples", "quickstart.lora");
        var first = await CliRun.RunAsync("fmt", path);
        Assert.Equal(0, first.ExitCode);
        var copy = Path.Combine(Path.GetTempPath(), $"fmt-{Guid.NewGuid():N}.lora");
        File.WriteAllText(copy, first.Output);
        try
        {
            var second = await CliRun.RunAsync("fmt", copy);
            Assert.Equal(first.Output, second.Output);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public async Task check_of_a_missing_file_is_one_clear_line()
    {
        var result = await CliRun.RunAsync("check", "/nonexistent/x.lora");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("lora: error: ", result.Error);
    }
}
