namespace LoraNotebooks.Engine.World;

/// <summary>One generated picture with its caption and ground truth.</summary>
/// <param name="Pixels">RGB bytes, row by row (height × width × 3).</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Caption">The caption a training set would carry for it.</param>
/// <param name="Labels">What the picture shows.</param>
/// <param name="Subject">
/// Where its subject is painted, one byte per pixel (0 to 255, row by row): the accessory in an accessory
/// scene, else the shape, figure or character. A masked loss trains on it (a world dataset's <c>mask</c>).
/// </param>
public sealed record WorldSample(byte[] Pixels, int Width, int Height, string Caption, WorldLabels Labels, byte[] Subject);
