namespace LoraNotebooks.Kernel.Display;

/// <summary>
/// plotly.js inline, from the copy Plotly.NET carries as an embedded resource, so charts draw with no
/// network. It is about 3.6 MB, so the kernel shows it once per kernel session (in its own output,
/// before the first chart); later charts wait for <c>window.Plotly</c>. Where require.js is on the page
/// (classic Notebook, nbconvert's HTML) plotly.js would register itself as an anonymous AMD module and
/// fail, so <c>define</c> is hidden while it loads.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The resource name inside Plotly.NET.dll.</summary>
    public const string ResourceName = "Plotly.NET.plotly-2.28.0.min.js";

    private static readonly Lazy<string> Source = new(() =>
    {
        using var stream = typeof(Plotly.NET.GenericChart).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Plotly.NET no longer embeds {ResourceName}; update {nameof(PlotlyJs)}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static int shown;

    /// <summary>The loader block the first time it is asked for in this process; null afterwards.</summary>
    public static string? TakeOnce() => Interlocked.Exchange(ref shown, 1) == 0 ? Block() : null;

    /// <summary>The loader block: hide AMD's define, run plotly.js, restore define.</summary>
    public static string Block() =>
        "<div class=\"lora-plotly-loader\" style=\"display:none\"></div>" +
        "<script type=\"text/javascript\">window.__loraDefine=window.define;window.define=undefined;</script>" +
        "<script type=\"text/javascript\">" + Source.Value.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) + "</script>" +
        "<script type=\"text/javascript\">window.define=window.__loraDefine;</script>";
}
