using System.CommandLine;
using LoraNotebooks.Dsl.Plans;
using LoraNotebooks.Engine;
using LoraNotebooks.Engine.World;

namespace LoraNotebooks.Cli.Commands;

/// <summary><c>lora world export FAMILY MEMBER DIR [--count N]</c> and <c>lora world list</c>.</summary>
public static class WorldCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var family = new Argument<string>("family") { Description = "concept, character, style or accessory." };
        var member = new Argument<string>("member") { Description = "A member of the family (see `lora world list`)." };
        var dir = new Argument<string>("dir") { Description = "Folder to write NAME.png + NAME.txt pairs into." }.AsPath();
        var count = new Option<int>("--count") { Description = "How many images.", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Seed of the generator.", DefaultValueFactory = _ => 0 };
        var trigger = new Option<string?>("--trigger") { Description = "Word that names the member in captions (default: its name)." };
        count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 100_000)
                r.AddError("--count must be between 1 and 100000");
        });

        var export = new Command("export", "Write a family member's images with captions, laid out like a user's own dataset.")
            { family, member, dir, count, seed, trigger };
        export.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            var target = parse.GetValue(dir)!;
            if (File.Exists(target))
                throw new UserErrorException($"'{target}' is a file; give a folder");
            var written = WorldExporter.Export(parse.GetValue(family)!, parse.GetValue(member)!, target,
                parse.GetValue(count), parse.GetValue(seed), parse.GetValue(trigger));
            output.WriteLine($"wrote {written.Count} images with captions to {Path.GetFullPath(target)}");
            return Task.FromResult(ExitCodes.Ok);
        }, token));

        var list = new Command("list", "List the world's families and their members.");
        list.SetAction((parse, token) => CommandRunner.RunAsync(parse, (output, _) =>
        {
            foreach (var f in Families.All)
                output.WriteLine($"{f.Name,-10} {string.Join(", ", f.Members.Select(m => m.Name)),-32} {f.Description}");
            output.WriteLine($"{WorldSource.HeldIn,-10} {string.Join(", ", HeldInWorld.Shapes),-32} the base model's own world, in any colour (what `preserve` datasets show: world held_in, or world held_in \"figure\")");
            return Task.FromResult(ExitCodes.Ok);
        }, token));

        return new Command("world", "The built-in procedural world the base model was pretrained on.") { export, list };
    }
}
