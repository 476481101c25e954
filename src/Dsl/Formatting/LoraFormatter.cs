using System.Text;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Formatting;

/// <summary>
/// Prints a script in canonical form: one statement per line, two-space indents, single spaces between
/// values, <c>[a, b]</c> lists, comments kept, at most one blank line, none at the edges of a block.
/// Numbers keep their spelling (<c>1e-4</c> stays <c>1e-4</c>). Formatting is idempotent, and the
/// formatted text binds to the same plan.
/// </summary>
public static class LoraFormatter
{
    private const string Indent = "  ";

    /// <summary>Formats <paramref name="text"/> (error nodes are printed as written).</summary>
    public static string Format(string text) => Format(LoraScript.Parse(text).Syntax);

    /// <summary>The canonical text of <paramref name="script"/>.</summary>
    public static string Format(ScriptSyntax script)
    {
        var text = new StringBuilder();
        WriteItems(text, script.Items, 0);
        return text.ToString();
    }

    private static void WriteItems(StringBuilder text, IReadOnlyList<ItemSyntax> items, int depth)
    {
        var first = items.Select((item, i) => (item, i)).FirstOrDefault(x => x.item is not BlankLineSyntax).i;
        var last = items.Select((item, i) => (item, i)).LastOrDefault(x => x.item is not BlankLineSyntax).i;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is BlankLineSyntax)
            {
                if (i > first && i < last) text.AppendLine();
                continue;
            }
            text.Append(string.Concat(Enumerable.Repeat(Indent, depth)));
            switch (item)
            {
                case CommentSyntax comment:
                    text.AppendLine(comment.Text);
                    break;
                case BadLineSyntax bad:
                    text.AppendLine(bad.Text);
                    break;
                case StatementSyntax statement:
                    WriteStatement(text, statement, depth);
                    break;
            }
        }
    }

    private static void WriteStatement(StringBuilder text, StatementSyntax statement, int depth)
    {
        text.Append(statement.Keyword.Name);
        foreach (var argument in statement.Arguments)
        {
            text.Append(' ');
            WriteValue(text, argument);
        }
        if (statement.Block is { } block)
        {
            if (block.Items.All(i => i is BlankLineSyntax))
            {
                text.Append(" {}");
            }
            else
            {
                text.AppendLine(" {");
                WriteItems(text, block.Items, depth + 1);
                text.Append(string.Concat(Enumerable.Repeat(Indent, depth)));
                if (block.IsClosed) text.Append('}');
            }
        }
        if (statement.TrailingComment is { } comment) text.Append("  ").Append(comment.Text);
        text.AppendLine();
    }

    private static void WriteValue(StringBuilder text, ValueSyntax value)
    {
        switch (value)
        {
            case NameSyntax name:
                text.Append(name.Name);
                break;
            case NumberSyntax number:
                text.Append(number.Text);
                break;
            case StringSyntax s:
                text.Append('"').Append(s.Value.Replace("\\", "\\\\").Replace("\"", "\\\""));
                if (s.IsTerminated) text.Append('"');
                break;
            case ListSyntax list:
                text.Append('[');
                for (var i = 0; i < list.Items.Length; i++)
                {
                    if (i > 0) text.Append(", ");
                    WriteValue(text, list.Items[i]);
                }
                if (list.IsClosed) text.Append(']');
                break;
            case BadValueSyntax bad:
                text.Append(bad.Text);
                break;
        }
    }
}
