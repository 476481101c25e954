using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Globalization;
using System.Text;

namespace LoraNotebooks.Dsl.Plans;

/// <summary>
/// Writes a plan as indented <c>name: value</c> lines, paths relative to the script's folder,
/// so that it reads the same on every machine (golden tests, <c>lora check --plan</c>). Shortcuts derived
/// from other properties are marked <c>[Browsable(false)]</c> and left out.
/// </summary>
public static class PlanText
{
    /// <summary>The plan, one property per line.</summary>
    public static string Render(ScriptPlan plan)
    {
        var text = new StringBuilder();
        Write(text, plan.Base, "base", 0, plan.ScriptDirectory);
        Write(text, plan.Training, "training", 0, plan.ScriptDirectory);
        Write(text, plan.Actions, "actions", 0, plan.ScriptDirectory);
        return text.ToString();
    }

    private static void Write(StringBuilder text, object? value, string label, int depth, string root)
    {
        var indent = new string(' ', depth * 2);
        switch (value)
        {
            case null:
                text.AppendLine($"{indent}{label}: none");
                break;
            case string s:
                text.AppendLine($"{indent}{label}: {Show(s, root)}");
                break;
            case IEnumerable items:
                var list = items.Cast<object?>().ToList();
                if (list.All(IsScalar))
                {
                    text.AppendLine($"{indent}{label}: [{string.Join(", ", list.Select(i => Scalar(i, root)))}]");
                    break;
                }
                text.AppendLine($"{indent}{label}:");
                foreach (var item in list) Write(text, item, "-", depth + 1, root);
                break;
            case var scalar when IsScalar(scalar):
                text.AppendLine($"{indent}{label}: {Scalar(scalar, root)}");
                break;
            default:
                var properties = value.GetType().GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public)
                    .Where(p => p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<BrowsableAttribute>() is not { Browsable: false }).ToList();
                if (properties.Count == 0)
                {
                    text.AppendLine($"{indent}{label}: {value.GetType().Name}");
                    break;
                }
                text.AppendLine($"{indent}{label}: {value.GetType().Name}");
                foreach (var property in properties) Write(text, property.GetValue(value), Snake(property.Name), depth + 1, root);
                break;
        }
    }

    private static bool IsScalar(object? value) => value is null or string or bool or Enum or int or long or double or TimeSpan;

    private static string Scalar(object? value, string root) => value switch
    {
        null => "none",
        string s => Show(s, root),
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Paths under the script's folder are shown relative to it, with '/' separators.</summary>
    private static string Show(string s, string root)
    {
        if (Path.IsPathFullyQualified(s) && (s == root || s.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            var relative = Path.GetRelativePath(root, s).Replace(Path.DirectorySeparatorChar, '/');
            return "\"" + relative + "\"";
        }
        return "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
