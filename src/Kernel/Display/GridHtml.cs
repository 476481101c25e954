using System.Text;
using LoraNotebooks.Kernel.Runs;

namespace LoraNotebooks.Kernel.Display;

/// <summary>A <see cref="SampleGrid"/> as an HTML table: column labels on top, row labels on the left, PNG cells.</summary>
public static class GridHtml
{
    /// <summary>Pixel width of each picture.</summary>
    public const int CellWidth = 96;

    /// <summary>The table.</summary>
    public static string Render(SampleGrid grid)
    {
        var html = new StringBuilder();
        html.Append("<table class=\"lora-grid\" style=\"border-collapse:collapse;text-align:center\">");
        html.Append($"<caption style=\"text-align:left;font-weight:bold\">{Html.Encode(grid.Title)}</caption><tr><th></th>");
        foreach (var column in grid.ColumnLabels) html.Append($"<th style=\"padding:2px 6px\">{Html.Encode(column)}</th>");
        html.Append("</tr>");
        for (var row = 0; row < grid.RowLabels.Count; row++)
        {
            html.Append($"<tr><th style=\"text-align:right;padding:2px 6px;max-width:16em;font-weight:normal\">{Html.Encode(grid.RowLabels[row])}</th>");
            for (var column = 0; column < grid.ColumnLabels.Count; column++)
                html.Append($"<td style=\"padding:2px\">{Html.Png(grid[row, column], CellWidth)}</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    /// <summary>A one-line text summary for plain-text views.</summary>
    public static string RenderText(SampleGrid grid) =>
        $"{grid.Title}: {grid.RowLabels.Count} × {grid.ColumnLabels.Count} grid (rows: {string.Join("; ", grid.RowLabels)}; columns: {string.Join(", ", grid.ColumnLabels)})";
}
