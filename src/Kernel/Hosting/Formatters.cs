using LoraNotebooks.Kernel.Display;
using LoraNotebooks.Kernel.Runs;
using Microsoft.DotNet.Interactive.Formatting;

namespace LoraNotebooks.Kernel.Hosting;

/// <summary>How the extension's values look in a notebook, as HTML and as plain text.</summary>
internal static class Formatters
{
    private static int registered;

    /// <summary>Registers the formatters once per process.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        Formatter.Register<RunView>((v, w) => w.Write(v.ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<RunView>((v, w) => w.Write(v.ToText()), PlainTextFormatter.MimeType);
        Formatter.Register<SampleGrid>((g, w) => w.Write(GridHtml.Render(g)), HtmlFormatter.MimeType);
        Formatter.Register<SampleGrid>((g, w) => w.Write(GridHtml.RenderText(g)), PlainTextFormatter.MimeType);
        Formatter.Register<AdapterCard>((c, w) => w.Write(CardHtml.Render(c)), HtmlFormatter.MimeType);
        Formatter.Register<AdapterCard>((c, w) => w.Write(CardHtml.RenderText(c)), PlainTextFormatter.MimeType);
        Formatter.Register<LoraRun>((r, w) => w.Write(RunHtml.Render(r)), HtmlFormatter.MimeType);
        Formatter.Register<LoraRun>((r, w) => w.Write(RunHtml.RenderText(r)), PlainTextFormatter.MimeType);
    }
}
