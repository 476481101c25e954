using LoraNotebooks.Dsl.Diagnostics;
using LoraNotebooks.Dsl.Syntax;

namespace LoraNotebooks.Dsl.Binding;

/// <summary>
/// The <c>name value</c> pairs after a statement's positional values, as in
/// <c>prompt "a star" seed 3 steps 20</c>. Unknown names get did-you-mean; repeats are reported.
/// </summary>
internal sealed class Options
{
    private readonly Dictionary<string, (NameSyntax Name, ValueSyntax? Value)> values = [];

    private Options() { }

    public static Options Read(StatementSyntax statement, int from, IReadOnlyCollection<string> allowed, string owner, DiagnosticBag diagnostics)
    {
        var options = new Options();
        var arguments = statement.Arguments;
        for (var i = from; i < arguments.Length; i++)
        {
            if (arguments[i] is not NameSyntax name)
            {
                if (arguments[i] is not BadValueSyntax)
                {
                    diagnostics.Add(DiagnosticDescriptors.UnexpectedValue, arguments[i].Span, ValueReader.Describe(arguments[i]), statement.Keyword.Name);
                }
                continue;
            }
            if (!allowed.Contains(name.Name))
            {
                diagnostics.Add(DiagnosticDescriptors.UnknownOption, name.Span, name.Name, owner, DidYouMean.Hint(name.Name, allowed));
                i++;
                continue;
            }
            var value = i + 1 < arguments.Length ? arguments[i + 1] : null;
            if (value is null)
            {
                diagnostics.Add(DiagnosticDescriptors.MissingValue, name.Span, name.Name, "a value");
            }
            if (options.values.TryGetValue(name.Name, out var first))
            {
                diagnostics.Add(DiagnosticDescriptors.Duplicate, name.Span, name.Name, first.Name.Span);
            }
            else
            {
                options.values[name.Name] = (name, value);
            }
            i++;
        }
        return options;
    }

    /// <summary>The value given for <paramref name="name"/>, or null when the option is absent or has no value.</summary>
    public ValueSyntax? this[string name] => values.TryGetValue(name, out var entry) ? entry.Value : null;

    public bool Has(string name) => values.ContainsKey(name);
}
