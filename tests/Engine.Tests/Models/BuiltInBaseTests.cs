using LoraNotebooks.Engine.Models;
using LoraNotebooks.Engine.SafeTensors;

namespace LoraNotebooks.Engine.Tests.Models;

public sealed class BuiltInBaseTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("lora-base-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Folder(string relative) => Directory.CreateDirectory(Path.Combine(root, relative)).FullName;

    [Fact]
    public void the_base_is_found_from_a_notebook_folder_when_the_host_lives_outside_the_repository()
    {
        var shipped = Path.Combine(Folder("repo/assets"), BuiltInBase.FileName);
        File.WriteAllBytes(shipped, [0]);
        var host = Folder("tools/dotnet-interactive/any");
        var notebooks = Folder("repo/notebooks");

        Assert.Null(BuiltInBase.Locate(host));
        Assert.Equal(shipped, BuiltInBase.Locate(host, notebooks));
    }

    [Fact]
    public void the_application_folder_wins_over_the_current_folder()
    {
        var beside = Path.Combine(Folder("app/assets"), BuiltInBase.FileName);
        var elsewhere = Path.Combine(Folder("work/assets"), BuiltInBase.FileName);
        File.WriteAllBytes(beside, [0]);
        File.WriteAllBytes(elsewhere, [0]);

        Assert.Equal(beside, BuiltInBase.Locate(Folder("app/bin"), Folder("work/notebooks")));
    }

    [Fact]
    public void without_a_shipped_file_anywhere_there_is_no_base()
    {
        Assert.Null(BuiltInBase.Locate(Folder("a/b"), Folder("c")));
    }

    [Fact]
    public void the_shipped_base_is_found_beside_the_engine_assembly_so_any_host_finds_it()
    {
        var beside = Path.Combine(Path.GetDirectoryName(typeof(BuiltInBase).Assembly.Location)!, "assets", BuiltInBase.FileName);

        Assert.Equal(beside, BuiltInBase.Locate());
    }

    [Fact]
    public void the_shipped_base_carries_its_config_and_loads_as_pretrained()
    {
        using var model = BuiltInBase.Load(out var pretrained);

        Assert.True(pretrained);
        using var file = SafeTensorsFile.Open(BuiltInBase.Locate()!);
        Assert.Equal(model.Config.ToJson(), TinyDiffusionConfig.FromJson(file.Metadata[BuiltInBase.ConfigKey]).ToJson());
    }
}
