using System.Text;
using System.Text.Json.Nodes;
using LoraNotebooks.Kernel.Runs;
using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace LoraNotebooks.Kernel.Display;

/// <summary>
/// The loss chart: raw loss, smoothed loss and validation points against the step. It renders twice in
/// one HTML block: an SVG drawn here (what static views such as GitHub, nbconvert without scripts, or an
/// untrusted notebook show), and a Plotly.NET chart that replaces the SVG wherever scripts run and
/// plotly.js is on the page (<see cref="PlotlyJs"/> puts it there once, inline, with no CDN).
/// </summary>
public static class LossChart
{
    private const int Width = 640, Height = 220, Pad = 36;

    /// <summary>The HTML block: a div holding the SVG fallback, and a script that swaps in the interactive chart.</summary>
    public static string Render(IReadOnlyList<StepPoint> steps, IReadOnlyList<ValidationPoint> validation)
    {
        var id = "lora-loss-" + Guid.NewGuid().ToString("N")[..12];
        var figure = FigureJson(steps, validation);
        return $"<div id=\"{id}\" class=\"lora-loss\" style=\"width:{Width}px;height:{Height}px\">{Svg(steps, validation)}</div>" +
               "<script type=\"text/javascript\">(function(){" +
               $"var el=document.getElementById('{id}');var fig={figure};var tries=0;" +
               "function draw(){if(window.Plotly&&el){el.innerHTML='';window.Plotly.newPlot(el,fig.data,fig.layout,{displayModeBar:false,staticPlot:false});}" +
               "else if(tries++<100){setTimeout(draw,100);}}draw();})();</script>";
    }

    /// <summary>The Plotly.NET figure (data and layout) as JSON.</summary>
    public static string FigureJson(IReadOnlyList<StepPoint> steps, IReadOnlyList<ValidationPoint> validation)
    {
        var x = steps.Select(s => (double)s.Step).ToArray();
        var charts = new List<GenericChart>
        {
            PlotlyChart.Line<double, double, string>(x, steps.Select(s => s.Loss), Name: "loss", LineColor: Color.fromString("#9ecae1")),
            PlotlyChart.Line<double, double, string>(x, steps.Select(s => s.SmoothedLoss), Name: "smoothed", LineColor: Color.fromString("#08519c")),
        };
        if (validation.Count > 0)
            charts.Add(PlotlyChart.Point<double, double, string>(validation.Select(v => (double)v.Step), validation.Select(v => v.Loss),
                Name: "validation", MarkerColor: Color.fromString("#d94801")));
        var chart = Plotly.NET.CSharp.GenericChartExtensions.WithSize(PlotlyChart.Combine(charts), Width, Height);
        // Plotly's default margins (80-100 px a side) leave a 220 px chart a 40 px plot. Plotly.NET's margin
        // and axis setters take F# options from C#; setting the few layout fields on the JSON reads plainer.
        var figure = JsonNode.Parse(GenericChart.toFigureJson(chart))!;
        var layout = figure["layout"]!.AsObject();
        layout["margin"] = new JsonObject { ["l"] = 48, ["r"] = 8, ["t"] = 8, ["b"] = 36 };
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "step", ["standoff"] = 4 } };
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "loss", ["standoff"] = 4 } };
        return figure.ToJsonString();
    }

    /// <summary>The same lines as a plain SVG with min/max labels: no scripts, no fonts beyond the default.</summary>
    public static string Svg(IReadOnlyList<StepPoint> steps, IReadOnlyList<ValidationPoint> validation)
    {
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" style=\"font:11px sans-serif\">");
        svg.Append($"<rect x=\"{Pad}\" y=\"4\" width=\"{Width - Pad - 6}\" height=\"{Height - Pad}\" fill=\"none\" stroke=\"#ccc\"/>");
        if (steps.Count > 0)
        {
            var values = steps.Select(s => s.Loss).Concat(validation.Select(v => v.Loss)).Where(double.IsFinite).ToList();
            var (low, high) = (values.Min(), values.Max());
            if (high - low < 1e-12) { low -= 0.5; high += 0.5; }
            var last = Math.Max(steps[^1].Step, steps[^1].TotalSteps);
            double X(double step) => Pad + (Width - Pad - 6) * (last <= 1 ? 0.5 : (step - 1) / (last - 1));
            double Y(double loss) => 4 + (Height - Pad) * (1 - (loss - low) / (high - low));
            string Points(Func<StepPoint, double> value) =>
                string.Join(" ", steps.Select(s => $"{Html.Num(X(s.Step), "0.#")},{Html.Num(Y(value(s)), "0.#")}"));
            svg.Append($"<polyline fill=\"none\" stroke=\"#9ecae1\" stroke-width=\"1\" points=\"{Points(s => s.Loss)}\"/>");
            svg.Append($"<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\" points=\"{Points(s => s.SmoothedLoss)}\"/>");
            foreach (var v in validation)
                svg.Append($"<circle cx=\"{Html.Num(X(v.Step), "0.#")}\" cy=\"{Html.Num(Y(v.Loss), "0.#")}\" r=\"3.5\" fill=\"#d94801\"/>");
            svg.Append($"<text x=\"{Pad - 4}\" y=\"12\" text-anchor=\"end\">{Html.Num(high, "0.###")}</text>");
            svg.Append($"<text x=\"{Pad - 4}\" y=\"{Height - Pad + 4}\" text-anchor=\"end\">{Html.Num(low, "0.###")}</text>");
            svg.Append($"<text x=\"{Pad}\" y=\"{Height - Pad + 18}\">step 1</text>");
            svg.Append($"<text x=\"{Width - 6}\" y=\"{Height - Pad + 18}\" text-anchor=\"end\">step {last}</text>");
            svg.Append($"<text x=\"{Width / 2}\" y=\"{Height - Pad + 18}\" text-anchor=\"middle\">loss (light), smoothed (dark){(validation.Count > 0 ? ", validation (dots)" : "")}</text>");
        }
        return svg.Append("</svg>").ToString();
    }
}
