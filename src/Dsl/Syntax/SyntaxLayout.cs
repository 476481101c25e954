using System.Collections.Immutable;
using LoraNotebooks.Dsl.Diagnostics;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>
/// Turns the grammar's flat run of items and separators into the tree people think in:
/// empty lines become one <see cref="BlankLineSyntax"/>, a comment after a statement on its line
/// becomes that statement's trailing comment, and two statements on one line without ';' are reported.
/// </summary>
internal static class SyntaxLayout
{
    public static ScriptSyntax Arrange(ScriptSyntax raw, DiagnosticBag diagnostics) =>
        raw with { Items = Arrange(raw.Items, diagnostics) };

    private static ImmutableArray<ItemSyntax> Arrange(ImmutableArray<ItemSyntax> items, DiagnosticBag diagnostics)
    {
        var arranged = ImmutableArray.CreateBuilder<ItemSyntax>();
        var newlines = 0;
        var separated = true;
        foreach (var item in items)
        {
            if (item is SeparatorSyntax separator)
            {
                if (separator.IsNewline) newlines++;
                separated = true;
                continue;
            }

            if (item is CommentSyntax comment && newlines == 0 && arranged.Count > 0
                && arranged[^1] is StatementSyntax { TrailingComment: null } owner)
            {
                arranged[^1] = owner with { TrailingComment = comment };
                continue;
            }

            if (newlines >= 2 && arranged.Count > 0)
            {
                arranged.Add(new BlankLineSyntax(item.Span.Start));
            }
            if (item is StatementSyntax statement)
            {
                if (!separated)
                {
                    diagnostics.Add(DiagnosticDescriptors.MissingSeparator, statement.Keyword.Span, statement.Keyword.Name);
                }
                arranged.Add(statement.Block is null
                    ? statement
                    : statement with { Block = statement.Block with { Items = Arrange(statement.Block.Items, diagnostics) } });
            }
            else
            {
                arranged.Add(item);
            }
            newlines = 0;
            separated = false;
        }
        return arranged.ToImmutable();
    }
}
