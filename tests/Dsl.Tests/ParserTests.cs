using LoraNotebooks.Dsl.Syntax;
using LoraNotebooks.Dsl.Tests.TestSupport;

namespace LoraNotebooks.Dsl.Tests;

public class ParserTests
{
    [Fact]
    public void every_node_carries_its_exact_line_and_column()
    {
        var tree = LoraScript.Parse("# head\nlora {\n\trank 8  # tab\n  alpha 1e-4\n}\n").Syntax;

        var lora = Assert.Single(tree.Statements);
        Assert.Equal(new TextSpan(7, 2, 1, 4), lora.Keyword.Span);
        var rank = lora.Block!.Statements.First();
        Assert.Equal(new TextSpan(15, 3, 2, 4), rank.Keyword.Span);
        Assert.Equal(new TextSpan(20, 3, 7, 1), rank.Arguments[0].Span);
        Assert.Equal("# tab", rank.TrailingComment!.Text);
        var alpha = lora.Block.Statements.Last();
        Assert.Equal(new TextSpan(37, 4, 9, 4), alpha.Arguments[0].Span);
        Assert.Equal(new TextSpan(12, 2, 6, 31), lora.Block.Span);
    }

    [Theory]
    [InlineData('[')]
    [InlineData('{')]
    public void nesting_deeper_than_the_limit_is_one_error_not_a_stack_overflow(char open)
    {
        var text = "train {\n  steps " + new string(open, 100_000) + "\n}\n";

        var result = LoraScript.Check(text, null, Repository.Context);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LORA0008", error.Id);
        Assert.Contains("nest more than 64 deep", error.Message);
        Assert.Equal((2, 72), (error.Span.Line, error.Span.Column)); // "train {" opens one level; the 64th bracket opens level 65
        Assert.Null(result.Plan);
    }

    [Fact]
    public void brackets_inside_strings_and_comments_do_not_count_as_nesting()
    {
        var text = "train { output \"" + new string('[', 200) + ".safetensors\" } # " + new string('{', 200) + "\n";

        Assert.DoesNotContain(LoraScript.Check(text, null, Repository.Context).Diagnostics, d => d.Id == "LORA0008");
    }

    [Fact]
    public void numbers_read_exponents_and_percentages()
    {
        var values = LoraScript.Parse("x 1e-4 10% -2 0.5 3E+2").Syntax.Statements.Single().Arguments.Cast<NumberSyntax>().ToList();

        Assert.Equal([1e-4, 10, -2, 0.5, 300], values.Select(v => v.Value));
        Assert.Equal([false, true, false, false, false], values.Select(v => v.IsPercent));
        Assert.Equal("1e-4", values[0].Text);
    }

    [Fact]
    public void strings_keep_unknown_backslashes_so_windows_paths_read_as_written()
    {
        var value = (StringSyntax)LoraScript.Parse("folder \"C:\\data\\cats \\\"x\\\" \\\\\"").Syntax.Statements.Single().Arguments[0];

        Assert.Equal("C:\\data\\cats \"x\" \\", value.Value);
        Assert.True(value.IsTerminated);
    }

    [Fact]
    public void lists_may_break_lines_after_a_comma_and_nest_any_value()
    {
        var list = (ListSyntax)LoraScript.Parse("prompts [\"a\",\n   \"b\", c, 1]\nnext").Syntax.Statements.First().Arguments[0];

        Assert.Equal(4, list.Items.Length);
        Assert.True(list.IsClosed);
        Assert.Equal(2, LoraScript.Parse("prompts [\"a\",\n   \"b\", c, 1]\nnext").Syntax.Statements.Count());
    }

    [Fact]
    public void semicolons_separate_statements_on_one_line()
    {
        var block = LoraScript.Parse("sample { every 100 steps; prompt \"a\" seed 1 }").Syntax.Statements.Single().Block!;

        Assert.Equal(["every", "prompt"], block.Statements.Select(s => s.Keyword.Name));
    }

    [Fact]
    public void a_block_may_open_on_the_next_line()
    {
        var parse = LoraScript.Parse("lora\n{\n  rank 4\n}\n");

        Assert.Empty(parse.Diagnostics);
        Assert.NotNull(parse.Syntax.Statements.Single().Block);
    }

    [Fact]
    public void several_syntax_errors_are_reported_in_one_pass_with_their_spans()
    {
        var parse = LoraScript.Parse("train {\n  steps 4x\n  seed \"7\n}\n]\n}");

        Assert.Equal(
            ["(2,9): error LORA0001: '4x' is not a number, string, name or list",
             "(3,8): error LORA0002: the string is not closed; add '\"' before the end of the line",
             "(5,1): error LORA0005: expected a keyword at the start of the statement, found ']'",
             "(6,1): error LORA0007: '}' has no matching '{'"],
            parse.Diagnostics.Select(d => d.ToString()));
    }

    [Fact]
    public void an_unclosed_block_is_reported_at_its_opening_brace()
    {
        var diagnostic = Assert.Single(LoraScript.Parse("lora {\n  rank 8\n").Diagnostics);

        Assert.Equal("LORA0004", diagnostic.Id);
        Assert.Equal(new TextSpan(5, 1, 6, 1), diagnostic.Span);
    }

    [Fact]
    public void blank_lines_collapse_into_one_and_comments_stay_in_the_tree()
    {
        var items = LoraScript.Parse("# a\n\n\n\nbase builtin\n# b\n").Syntax.Items;

        Assert.Collection(items,
            i => Assert.IsType<CommentSyntax>(i),
            i => Assert.IsType<BlankLineSyntax>(i),
            i => Assert.IsType<StatementSyntax>(i),
            i => Assert.IsType<CommentSyntax>(i));
    }

    [Fact]
    public void windows_line_endings_do_not_change_columns()
    {
        var statements = LoraScript.Parse("base builtin\r\nlora {\r\n  rank 8\r\n}\r\n").Syntax.Statements.ToList();

        Assert.Equal(2, statements.Count);
        Assert.Equal((3, 3), (statements[1].Block!.Statements.Single().Keyword.Span.Line, statements[1].Block!.Statements.Single().Keyword.Span.Column));
    }
}
