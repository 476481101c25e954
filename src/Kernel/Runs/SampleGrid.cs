namespace LoraNotebooks.Kernel.Runs;

/// <summary>
/// Pictures in rows and columns with a label for each: rows are prompts, columns are strengths
/// (or checkpoints). Cells hold PNG bytes, row-major.
/// </summary>
/// <param name="Title">What the grid shows, e.g. <c>step 100</c>.</param>
public sealed record SampleGrid(string Title, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, IReadOnlyList<byte[]> Cells)
{
    /// <summary>The PNG in row <paramref name="row"/> and column <paramref name="column"/>.</summary>
    public byte[] this[int row, int column] => Cells[row * ColumnLabels.Count + column];
}
