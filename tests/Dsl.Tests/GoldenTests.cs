using System.Text;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

/// <summary>
/// Each <c>Golden/NAME.lora</c> is checked and its diagnostics, plan and summary compared with
/// <c>Golden/NAME.expected</c>. Set LORA_REGENERATE_GOLDEN=1 to rewrite the expected files, then review the diff.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string> Cases() =>
        [.. Directory.GetFiles(Repository.Golden, "*.lora").Select(p => Path.GetFileName(p)).Order()];

    [Theory]
    [MemberData(nameof(Cases))]
    public void golden_script_checks_to_its_expected_output(string name)
    {
        var path = Path.Combine(Repository.Golden, name);
        var actual = Describe(name, path);
        var expectedPath = Path.ChangeExtension(path, ".expected");

        if (Environment.GetEnvironmentVariable("LORA_REGENERATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actual);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"{expectedPath} is missing; run with LORA_REGENERATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(expectedPath).ReplaceLineEndings("\n"), actual);
    }

    private static string Describe(string name, string path)
    {
        var result = LoraScript.Check(File.ReadAllText(path), path, Repository.Context);
        var text = new StringBuilder();
        text.Append("diagnostics:\n");
        foreach (var diagnostic in result.Diagnostics) text.Append(diagnostic.ToString(name)).Append('\n');
        if (result.Plan is not null) text.Append("plan:\n").Append(PlanText.Render(result.Plan));
        if (result.Summary is not null) text.Append(Preflight.PreflightRenderer.Render(result.Summary));
        return text.ToString().ReplaceLineEndings("\n");
    }
}
