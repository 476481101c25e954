using System.Collections.Immutable;

namespace LoraNotebooks.Dsl.Syntax;

/// <summary>
/// <c>keyword value value ... { block }</c>: every line of the language has this one shape;
/// the binder decides what the values mean for each keyword.
/// </summary>
/// <param name="Keyword">The first word, e.g. <c>rank</c> or <c>dataset</c>.</param>
/// <param name="Arguments">The values after the keyword.</param>
/// <param name="Block">The <c>{ ... }</c> that follows, if any.</param>
/// <param name="TrailingComment">A comment on the same line, after the statement.</param>
/// <param name="Span">From the keyword to the end of the last value or the block.</param>
public sealed record StatementSyntax(
    NameSyntax Keyword,
    ImmutableArray<ValueSyntax> Arguments,
    BlockSyntax? Block,
    CommentSyntax? TrailingComment,
    TextSpan Span) : ItemSyntax(Span);
