using LoraNotebooks.Dsl.Binding;
using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Preflight;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl;

/// <summary>
/// The entry point for the command line and the notebook kernel: read a script, or check it all the way
/// to a plan. Neither method throws on any script text.
/// </summary>
public static class LoraScript
{
    /// <summary>The syntax tree and syntax errors of <paramref name="text"/>.</summary>
    public static ParseResult Parse(string text)
    {
        var diagnostics = new DiagnosticBag();
        var tree = ScriptParser.Parse(text, diagnostics);
        return new ParseResult(tree, diagnostics.ToImmutable());
    }

    /// <summary>Parses and binds <paramref name="text"/>: diagnostics, and a plan and summary when there is no error.</summary>
    /// <param name="text">The script.</param>
    /// <param name="path">The script's file, whose folder relative paths are resolved against; null for a notebook cell.</param>
    /// <param name="context">The world catalog, the estimator and the fallback folder.</param>
    public static CheckResult Check(string text, string? path, CheckContext context)
    {
        var diagnostics = new DiagnosticBag();
        var tree = ScriptParser.Parse(text, diagnostics);
        var directory = path is null
            ? Path.GetFullPath(context.BaseDirectory ?? Environment.CurrentDirectory)
            : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = path is null ? null : Path.GetFileNameWithoutExtension(path);
        var plan = Binder.Bind(tree, directory, name, context.Worlds, diagnostics);
        var summary = plan is null ? null : PreflightSummary.Create(plan, context.Estimator);
        return new CheckResult(tree, diagnostics.ToImmutable(), plan, summary);
    }
}
