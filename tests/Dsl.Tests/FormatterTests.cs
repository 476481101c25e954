using LoraNotebooks.Dsl.Formatting;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class FormatterTests
{
    public static TheoryData<string> Scripts() =>
        [.. Directory.GetFiles(Repository.Examples, "*.lora").Concat(Directory.GetFiles(Repository.Golden, "*.lora")).Order()];

    [Fact]
    public void formatting_lays_out_one_statement_per_line_with_two_space_indents()
    {
        var text = "# stars\ndataset \"s\"   {world concept \"star\"  ;trigger \"zxc\"   # the word\n\n\n\n  repeats   2 }\nlora{rank 4;alpha 4}\ntrain {\n}\n";

        Assert.Equal(
            "# stars\ndataset \"s\" {\n  world concept \"star\"\n  trigger \"zxc\"  # the word\n\n  repeats 2\n}\nlora {\n  rank 4\n  alpha 4\n}\ntrain {}\n",
            LoraFormatter.Format(text));
    }

    [Fact]
    public void formatting_keeps_the_spelling_of_numbers_and_normalises_lists()
    {
        Assert.Equal("train {\n  lr 1e-4\n  warmup 10%\n}\ngrid strengths [0, 0.5, 1]\n",
            LoraFormatter.Format("train { lr 1e-4; warmup 10% }\ngrid strengths [0,0.5,\n 1]"));
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void formatting_twice_changes_nothing_the_second_time(string path)
    {
        var once = LoraFormatter.Format(File.ReadAllText(path));

        Assert.Equal(once, LoraFormatter.Format(once));
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void formatted_text_binds_to_the_same_plan_and_diagnostic_ids(string path)
    {
        var text = File.ReadAllText(path);
        var original = LoraScript.Check(text, path, Repository.Context);
        var formatted = LoraScript.Check(LoraFormatter.Format(text), path, Repository.Context);

        Assert.Equal(original.Plan, formatted.Plan);
        if (!LoraScript.Parse(text).HasErrors)
        {
            // With syntax errors the ids may differ: formatting puts statements that shared a line on their own lines.
            Assert.Equal(original.Diagnostics.Select(d => d.Id), formatted.Diagnostics.Select(d => d.Id));
        }
    }
}
