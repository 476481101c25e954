using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class ExampleTests
{
    public static TheoryData<string> Examples() => [.. Directory.GetFiles(Repository.Examples, "*.lora").Select(p => Path.GetFileName(p)).Order()];

    [Theory]
    [MemberData(nameof(Examples))]
    public void every_example_checks_without_errors_or_warnings(string name)
    {
        var path = Path.Combine(Repository.Examples, name);
        var result = LoraScript.Check(File.ReadAllText(path), path, Repository.Context);

        Assert.Empty(result.Diagnostics.Where(d => d.Severity != DiagnosticSeverity.Info).Select(d => d.ToString(name)));
        Assert.NotNull(result.Plan);
        Assert.NotNull(result.Summary);
    }

    [Fact]
    public void the_examples_folder_holds_the_six_promised_scripts()
    {
        var names = Directory.GetFiles(Repository.Examples, "*.lora").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(["accessory", "character", "concept", "own-images", "quickstart", "style"], names);
    }
}
