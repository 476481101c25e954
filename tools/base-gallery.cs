// Draws the built-in base model's gallery for docs/: `dotnet run tools/base-gallery.cs [DOCS_DIR]`.
// Rows are the held-in shapes (circle, square, triangle, figure); columns the eight colours, each prompt
// "a large COLOUR SHAPE in the center, gray background" at the default sampling settings (20 DDIM steps,
// the base's default guidance), seed = the tile's index.
#:project ../src/Engine/Engine.csproj
#:property JsonSerializerIsReflectionEnabledByDefault=true
using LoraNotebooks.Engine.Imaging;
using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.World;

var docs = args.Length > 0 ? args[0] : "docs";
using var model = BuiltInBase.Load(out var pretrained);
if (!pretrained)
    throw new InvalidOperationException("no assets/base.safetensors: nothing to draw");
var prompts = HeldInWorld.Shapes.SelectMany(shape => HeldInWorld.Colours.Select(colour => $"a large {colour} {shape} in the center, gray background")).ToList();
using var images = model.Sample(prompts, [.. prompts.Select((_, i) => (long)i)], steps: 20, guidance: model.DefaultGuidance);
RgbImage.WriteGrid(Path.Combine(docs, "base-samples.png"), ImageTensors.ToRgb(images), model.Resolution, HeldInWorld.Colours.Count, scale: 2);
Console.WriteLine($"wrote {docs}/base-samples.png: {prompts.Count} samples, columns {string.Join(", ", HeldInWorld.Colours)}");
