using System.Collections.Immutable;
using System.Globalization;
using Pidgin;
using Pidgin.Configuration;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>
/// The whole grammar of the language, in Pidgin. Every input parses: text that fits no rule becomes
/// an error node (<see cref="BadLineSyntax"/>, <see cref="BadValueSyntax"/>, an unterminated string,
/// an unclosed list or block) that <see cref="SyntaxErrors"/> reports, so one pass finds every problem.
/// <code>
/// script    = item* EOF
/// item      = newline | ';' | comment | statement | badline      (and a stray '}' at the top level)
/// statement = name value* block?
/// block     = '{' item* '}'                                      ('{' may start on the next line)
/// value     = string | list | number | name | badword
/// list      = '[' (value | ',')* ']'                             (new lines allowed after '[' and ',')
/// number    = '-'? digits ('.' digits)? (('e'|'E') ('+'|'-')? digits)? '%'?
/// </code>
/// </summary>
internal static class Grammar
{
    /// <summary>Pidgin counts a tab as a jump to the next tab stop; diagnostics count characters.</summary>
    private static readonly IConfiguration<char> Configuration =
        Pidgin.Configuration.Configuration.WithPosCalculator(
            Pidgin.Configuration.Configuration.Default<char>(),
            c => c == '\n' ? SourcePosDelta.NewLine : SourcePosDelta.OneCol);

    private const string Structural = "{}[];,\"#";

    private static readonly Parser<char, Unit> InlineSpace = Token(c => c is ' ' or '\t' or '\r').SkipMany();
    private static readonly Parser<char, Unit> AnySpace = Token(char.IsWhiteSpace).SkipMany();

    private static Parser<char, T> Tok<T>(Parser<char, T> parser) => parser.Before(InlineSpace);

    /// <summary>Runs <paramref name="parser"/> and hands the span of the text it consumed to the node factory it returns.</summary>
    private static Parser<char, T> Spanned<T>(Parser<char, Func<TextSpan, T>> parser) =>
        Map(
            (pos, start, make, end) => make(new TextSpan(start, pos.Line, pos.Col, end - start)),
            CurrentPos, CurrentOffset, parser, CurrentOffset);

    // Words: a run of characters up to white space or punctuation, read as a number, a name, or neither.
    private static readonly Parser<char, char> WordChar = Token(c => !char.IsWhiteSpace(c) && !Structural.Contains(c));
    private static readonly Parser<char, Unit> WordEnd = Not(Lookahead(WordChar));
    private static readonly Parser<char, string> Digits = Token(char.IsAsciiDigit).AtLeastOnceString();

    private static readonly Parser<char, string> NameText =
        Map((first, rest) => first + rest,
            Token(c => char.IsAsciiLetter(c) || c == '_'),
            Token(c => char.IsAsciiLetterOrDigit(c) || c == '_').ManyString());

    private static readonly Parser<char, NameSyntax> Name =
        Spanned(Try(NameText.Before(WordEnd)).Select<Func<TextSpan, NameSyntax>>(n => s => new NameSyntax(n, s)))
            .Labelled("name");

    private static readonly Parser<char, string> NumberText =
        Char('-').Optional()
            .Then(Digits)
            .Then(Char('.').Then(Digits).Optional())
            .Then(CIChar('e').Then(OneOf(Char('+'), Char('-')).Optional()).Then(Digits).Optional())
            .Then(Char('%').Optional())
            .MapWithInput((input, _) => input.ToString());

    private static readonly Parser<char, ValueSyntax> Number =
        Spanned(Try(NumberText.Before(WordEnd)).Select<Func<TextSpan, ValueSyntax>>(text => s =>
        {
            var isPercent = text.EndsWith('%');
            var value = double.Parse(isPercent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return new NumberSyntax(value, isPercent, text, s);
        })).Labelled("number");

    private static readonly Parser<char, ValueSyntax> BadWord =
        Spanned(WordChar.AtLeastOnceString().Select<Func<TextSpan, ValueSyntax>>(text => s => new BadValueSyntax(text, s)));

    private static readonly Parser<char, ValueSyntax> Word = OneOf(Number, Name.Cast<ValueSyntax>(), BadWord);

    // Strings: \" and \\ are escapes; any other backslash is itself, so Windows paths read as written.
    private static readonly Parser<char, char> StringChar = OneOf(
        Char('\\').Then(OneOf(Char('"'), Char('\\')).Optional()).Select(escaped => escaped.GetValueOrDefault('\\')),
        AnyCharExcept('"', '\\', '\n', '\r'));

    private static readonly Parser<char, ValueSyntax> String =
        Spanned(Char('"').Then(StringChar.ManyString()).Then(Char('"').Optional(),
            (value, close) => (Func<TextSpan, ValueSyntax>)(s => new StringSyntax(value, close.HasValue, s))))
            .Labelled("string");

    private static readonly Parser<char, ValueSyntax> List =
        Spanned(Map(
            (items, close) => (Func<TextSpan, ValueSyntax>)(s => new ListSyntax([.. items.OfType<ValueSyntax>()], close.HasValue, s)),
            Char('[').Then(AnySpace).Then(OneOf(
                Tok(Rec(() => ListItem!)).Select(v => (ValueSyntax?)v),
                Char(',').Then(AnySpace).ThenReturn((ValueSyntax?)null)).Many()),
            Char(']').Optional()))
            .Labelled("list");

    private static readonly Parser<char, ValueSyntax> ListItem = OneOf(String, List, Word);

    /// <summary>A ']' or ',' outside a list is a bad value of its own, so the rest of the line still reads.</summary>
    private static readonly Parser<char, ValueSyntax> StrayPunctuation =
        Spanned(OneOf(Char(']'), Char(',')).Select<Func<TextSpan, ValueSyntax>>(c => s => new BadValueSyntax(c.ToString(), s)));

    private static readonly Parser<char, ValueSyntax> Argument = Tok(OneOf(String, List, Word, StrayPunctuation));

    private static readonly Parser<char, BlockSyntax> Block =
        Try(AnySpace.Then(Lookahead(Char('{')))).Then(Tok(Spanned(Map(
            (items, close) => (Func<TextSpan, BlockSyntax>)(s => new BlockSyntax([.. items], close.HasValue, s)),
            Char('{').Then(InlineSpace).Then(Rec(() => BlockItem!).Many()),
            Char('}').Optional()))))
            .Labelled("block");

    private static readonly Parser<char, ItemSyntax> Statement =
        Map((keyword, arguments, block) =>
            {
                var last = block?.Span ?? (arguments.Count > 0 ? arguments[^1].Span : keyword.Span);
                return (ItemSyntax)new StatementSyntax(keyword, [.. arguments], block, null, TextSpan.Cover(keyword.Span, last));
            },
            Tok(Name), Argument.Many().Select(a => a.ToList()), Block.Optional().Select(b => b.HasValue ? b.Value : null))
            .Labelled("statement");

    private static readonly Parser<char, ItemSyntax> Separator =
        Tok(Spanned(OneOf(Char('\n'), Char(';')).Select<Func<TextSpan, ItemSyntax>>(c => s => new SeparatorSyntax(c == '\n', s))));

    private static readonly Parser<char, ItemSyntax> Comment =
        Tok(Spanned(Char('#').Then(AnyCharExcept('\n').ManyString()).Select<Func<TextSpan, ItemSyntax>>(rest => s =>
            new CommentSyntax(("#" + rest).TrimEnd(), s with { Length = ("#" + rest).TrimEnd().Length }))));

    /// <summary>Whatever cannot start a statement, up to the end of the line (or a '}', ';' or comment).</summary>
    private static readonly Parser<char, ItemSyntax> BadLine =
        Tok(Spanned(AnyCharExcept('\n', '}', ';', '#').AtLeastOnceString().Select<Func<TextSpan, ItemSyntax>>(text => s =>
            new BadLineSyntax(text.TrimEnd(), s with { Length = text.TrimEnd().Length }))));

    private static readonly Parser<char, ItemSyntax> StrayCloseBrace =
        Tok(Spanned(Char('}').Select<Func<TextSpan, ItemSyntax>>(_ => s => new BadLineSyntax("}", s))));

    private static readonly Parser<char, ItemSyntax> BlockItem = OneOf(Separator, Comment, Statement, BadLine);

    private static readonly Parser<char, List<ItemSyntax>> Script =
        InlineSpace.Then(OneOf(BlockItem, StrayCloseBrace).Many()).Before(End).Select(items => items.ToList());

    /// <summary>The raw tree (separators still in it), or the parser's own message if it gave up.</summary>
    public static (ScriptSyntax? Tree, string? Failure) Parse(string text)
    {
        var result = Script.Parse(text, Configuration);
        if (!result.Success)
        {
            return (null, result.Error?.RenderErrorMessage() ?? "unknown parser error");
        }
        return (new ScriptSyntax([.. result.Value], new TextSpan(0, 1, 1, text.Length)), null);
    }
}
