namespace LoraNotebooks.Engine.Data;

/// <summary>One picture ready to train: RGB bytes row by row, exactly the size of its bucket, and its caption.</summary>
/// <param name="Rgb">Bucket.Width × Bucket.Height × 3 bytes.</param>
/// <param name="Bucket">Its training size.</param>
/// <param name="Caption">The caption as loaded (with the trigger put in).</param>
/// <param name="Source">Where it came from: a file path, or <c>world:FAMILY/MEMBER#INDEX</c>.</param>
public sealed record TrainingImage(byte[] Rgb, Bucket Bucket, string Caption, string Source);
