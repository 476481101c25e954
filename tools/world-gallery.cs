// Regenerates the world's pictures in docs/: `dotnet run tools/world-gallery.cs [DOCS_DIR]`.
#:project ../src/Engine/Engine.csproj
using LoraNotebooks.Engine.World;

var docs = args.Length > 0 ? args[0] : "docs";
WorldGallery.WriteHeldIn(Path.Combine(docs, "world-gallery.png"));
WorldGallery.WriteFamilies(Path.Combine(docs, "world-families.png"));
Console.WriteLine($"wrote {docs}/world-gallery.png and {docs}/world-families.png");
