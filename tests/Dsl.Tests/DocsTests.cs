using System.Text.RegularExpressions;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class DocsTests
{
    private static readonly string Docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "dsl.md"));

    [Fact]
    public void every_lora_snippet_in_the_docs_parses_without_syntax_errors()
    {
        var snippets = Regex.Matches(Docs, "```lora\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

        Assert.True(snippets.Count >= 12, $"only {snippets.Count} snippets found");
        Assert.All(snippets, snippet => Assert.Empty(LoraScript.Parse(snippet).Diagnostics));
    }

    [Fact]
    public void every_diagnostic_id_is_listed_in_the_docs()
    {
        Assert.All(DiagnosticDescriptors.All, d => Assert.Contains($"| {d.Id} |", Docs));
    }

    [Fact]
    public void every_top_level_keyword_has_a_section_in_the_docs()
    {
        Assert.All(["base", "dataset", "lora", "train", "sample", "load", "grid", "combine", "merge", "inspect", "evaluate"],
            keyword => Assert.Matches($"### `{keyword}", Docs));
    }
}
