using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LoraNotebooks.Cli.Commands;

namespace LoraNotebooks.Cli.Tests;

/// <summary>
/// Docker cannot run on the project's CI machines, so these check what can be checked without it:
/// every path the Dockerfile and the devcontainers name exists, and what they pin agrees with the solution.
/// </summary>
public sealed partial class ContainerFilesTests
{
    /// <summary>The CUDA build each TorchSharp-cuda-linux version ships (libtorch-cuda-X.Y-linux-x64); extend when TorchSharp moves.</summary>
    private static readonly Dictionary<string, string> CudaOfTorchSharp = new() { ["0.107.0"] = "12.8" };

    private static readonly string Root = FindRoot();
    private static readonly string Dockerfile = Read("docker/Dockerfile");
    private static readonly string Setup = Read("docker/setup.sh");

    [Fact]
    public void every_path_the_dockerfile_copies_or_runs_exists()
    {
        var copies = Instructions("COPY").Select(args => args.Where(a => !a.StartsWith("--")).ToArray()).ToList();
        Assert.NotEmpty(copies);
        foreach (var args in copies)
            foreach (var source in args[..^1])
                Assert.True(Path.Exists(Path.Combine(Root, source)), $"COPY source '{source}' is missing");

        var scripts = Regex.Matches(Dockerfile, @"(?<![\w/])(docker/[\w.-]+\.sh)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("docker/setup.sh", scripts);
        foreach (var script in scripts)
            AssertExecutable(script);
    }

    [Fact]
    public void the_dockerfile_pins_what_the_solution_uses()
    {
        Assert.Equal(JupyterCommand.HostVersion, ArgDefault("DOTNET_INTERACTIVE_VERSION"));

        // .NET: the apt package, global.json and the target framework name one major version.
        var sdk = JsonDocument.Parse(Read("global.json")).RootElement.GetProperty("sdk").GetProperty("version").GetString()!;
        var major = sdk.Split('.')[0];
        Assert.Contains($"dotnet-sdk-{major}.0", Dockerfile);
        Assert.Equal($"net{major}.0", BuildProperty("TargetFramework"));

        // TorchSharp: the CUDA build of the referenced package decides the CUDA base image.
        var packages = XDocument.Parse(Read("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var torchSharp = packages["TorchSharp-cuda-linux"];
        Assert.Equal(packages["TorchSharp-cpu"], torchSharp);
        Assert.True(CudaOfTorchSharp.TryGetValue(torchSharp, out var cuda), $"which CUDA does TorchSharp-cuda-linux {torchSharp} need? Update the base image and this table.");
        var baseImage = Regex.Match(ArgDefault("BASE"), @"^nvidia/cuda:(\d+\.\d+)\.\d+-base-ubuntu24\.04$");
        Assert.True(baseImage.Success, $"the default BASE is a CUDA base image on Ubuntu 24.04, not {ArgDefault("BASE")}");
        Assert.Equal(cuda, baseImage.Groups[1].Value);

        // The backend switch: the Dockerfile's default is cuda, and the projects know that value.
        Assert.Equal("cuda", ArgDefault("TORCH_BACKEND"));
        Assert.Equal("cpu", BuildProperty("TorchBackend"));
        foreach (var project in new[] { "src/Engine/Engine.csproj", "src/Kernel/Kernel.csproj" })
            Assert.Contains("""<PackageReference Include="TorchSharp-cuda-linux" Condition="'$(TorchBackend)' == 'cuda'" />""", Read(project));

        Assert.Contains(Instructions("EXPOSE"), args => args.SequenceEqual(["8888"]));
        var cmd = Assert.Single(Instructions("CMD"));
        Assert.Contains("\"--ip=0.0.0.0\"", string.Join(' ', cmd));
        Assert.Contains("\"--port=8888\"", string.Join(' ', cmd));
    }

    [Fact]
    public void setup_follows_the_readme_notebook_steps_for_this_kernel()
    {
        AssertExecutable("docker/setup.sh");
        Assert.Contains("dotnet pack src/Kernel -c Release -o artifacts/feed", Setup);
        Assert.Contains("dotnet run --project src/Cli -c Release", Setup);
        Assert.Contains("-- jupyter install", Setup);
        Assert.Contains("TorchBackend=\"$backend\"", Setup);
        Assert.Contains(JupyterCommand.KernelName, Setup);
        foreach (var project in new[] { "src/Kernel/Kernel.csproj", "src/Cli/Cli.csproj" })
            Assert.True(File.Exists(Path.Combine(Root, project)), project);
        Assert.Contains("""<TorchBackend Condition="'$(TorchBackend)' == ''">cpu</TorchBackend>""", Read("Directory.Build.props"));
    }

    [Theory]
    [InlineData(".devcontainer/devcontainer.json", "cpu")]
    [InlineData(".devcontainer/gpu/devcontainer.json", "cuda")]
    public void devcontainers_build_the_tools_stage_and_set_up_the_workspace(string file, string backend)
    {
        using var doc = JsonDocument.Parse(Read(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var config = doc.RootElement;
        var folder = Path.GetDirectoryName(Path.Combine(Root, file))!;

        // Paths in build are relative to the folder of devcontainer.json.
        var build = config.GetProperty("build");
        Assert.Equal(Path.Combine(Root, "docker", "Dockerfile"), Path.GetFullPath(Path.Combine(folder, build.GetProperty("dockerfile").GetString()!)));
        Assert.Equal(Root, Path.GetFullPath(Path.Combine(folder, build.GetProperty("context").GetString()!)).TrimEnd('/'));
        var target = build.GetProperty("target").GetString()!;
        Assert.Matches(new Regex($@"(?im)^FROM\s+\S+\s+AS\s+{Regex.Escape(target)}\s*$"), Dockerfile);
        var args = build.TryGetProperty("args", out var a) ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : [];
        foreach (var name in args.Keys)
            Assert.Matches(new Regex($@"(?m)^ARG\s+{Regex.Escape(name)}(=|\s*$)"), Dockerfile);

        var gpu = config.TryGetProperty("hostRequirements", out var host) && host.TryGetProperty("gpu", out var g) && g.ValueKind == JsonValueKind.True;
        if (backend == "cuda")
        {
            Assert.True(gpu, "the CUDA devcontainer requires a GPU (the CLI then adds --gpus all)");
            Assert.False(args.ContainsKey("BASE"), "the CUDA devcontainer uses the Dockerfile's CUDA base");
        }
        else
        {
            Assert.False(gpu);
            Assert.Equal("ubuntu:24.04", args["BASE"]);
        }

        var post = config.GetProperty("postCreateCommand").GetString()!.Split(' ');
        Assert.Equal(["docker/setup.sh", backend], post);
        AssertExecutable(post[0]);

        var extensions = config.GetProperty("customizations").GetProperty("vscode").GetProperty("extensions").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "ms-toolsai.jupyter", "ms-dotnettools.csharp", "ms-dotnettools.dotnet-interactive-vscode" }, extensions.ToHashSet());
        Assert.Contains(config.GetProperty("forwardPorts").EnumerateArray(), p => p.ValueKind == JsonValueKind.Number && p.GetInt32() == 8888);
        Assert.Equal("ubuntu", config.GetProperty("remoteUser").GetString());
        Assert.Contains("USER ubuntu", Dockerfile);
    }

    [Fact]
    public void dockerignore_drops_build_outputs_and_keeps_what_the_build_needs()
    {
        var patterns = Read(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Superset(new HashSet<string> { "**/bin/", "**/obj/", "artifacts/", "out/" }, patterns.ToHashSet());

        string[] ignored = ["bin/x.dll", "src/Engine/bin/Release/x.dll", "tests/Cli.Tests/obj/project.assets.json", "artifacts/feed/a.nupkg", "out/demo/a.png"];
        string[] needed = ["src/Kernel/Kernel.csproj", "src/Engine/Engine.csproj", "assets/judge.safetensors", "Directory.Build.props",
            "Directory.Packages.props", "global.json", "docker/setup.sh", "notebooks/00-smoke.ipynb", "examples"];
        foreach (var path in ignored)
            Assert.True(patterns.Any(p => Ignores(p, path)), $"{path} should not reach the build context");
        foreach (var path in needed)
        {
            Assert.True(Path.Exists(Path.Combine(Root, path)), $"{path} is missing from the repository");
            Assert.False(patterns.Any(p => Ignores(p, path)), $"{path} is needed by the image but .dockerignore drops it");
        }
    }

    [Fact]
    public void notebooks_and_the_teaching_guide_load_the_package_this_solution_packs()
    {
        var id = (string)XDocument.Parse(Read("src/Kernel/Kernel.csproj")).Descendants("PackageId").Single();
        var version = BuildProperty("Version");
        var files = Directory.GetFiles(Path.Combine(Root, "notebooks"), "*.ipynb").Append(Path.Combine(Root, "docs", "teaching.md")).ToList();
        var references = files.SelectMany(f => NugetReference().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Id: m.Groups[1].Value, Version: m.Groups[2].Value))).ToList();
        Assert.Contains(references, r => r.File == "teaching.md");
        Assert.Contains(references, r => r.File.EndsWith(".ipynb"));
        foreach (var r in references.Where(r => r.Id.StartsWith("LoraNotebooks", StringComparison.Ordinal)))
            Assert.True(r.Id == id && r.Version == version, $"{r.File} loads {r.Id},{r.Version}; the solution packs {id},{version}");

        var teaching = Read("docs/teaching.md");
        Assert.Contains(JupyterCommand.KernelName, teaching);
        Assert.Contains("docker/Dockerfile", teaching);
        Assert.Contains(".devcontainer/gpu/devcontainer.json", teaching);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoraNotebooks.sln")))
                return dir.FullName;
        throw new InvalidOperationException("LoraNotebooks.sln not found above the test folder");
    }

    private static string Read(string path) => File.ReadAllText(Path.Combine(Root, path));

    private static void AssertExecutable(string path)
    {
        var file = Path.Combine(Root, path);
        Assert.True(File.Exists(file), $"{path} is missing");
        if (!OperatingSystem.IsWindows())
            Assert.True(File.GetUnixFileMode(file).HasFlag(UnixFileMode.UserExecute), $"{path} is not executable");
    }

    /// <summary>The Dockerfile's instructions of one kind, continuation lines joined, split into words.</summary>
    private static List<string[]> Instructions(string keyword) =>
        Regex.Replace(Dockerfile, @"\\\r?\n", " ").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith(keyword + " ", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(keyword.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    private static string ArgDefault(string name)
    {
        var match = Regex.Match(Dockerfile, $@"(?m)^ARG\s+{Regex.Escape(name)}=(\S+)\s*$");
        Assert.True(match.Success, $"the Dockerfile declares no default for ARG {name}");
        return match.Groups[1].Value;
    }

    private static string BuildProperty(string name) =>
        (string)XDocument.Parse(Read("Directory.Build.props")).Descendants(name).First();

    /// <summary>.dockerignore matching as Docker does it for these simple patterns: relative to the context root, ** spans folders, a match covers everything below.</summary>
    private static bool Ignores(string pattern, string path)
    {
        var regex = "^" + Regex.Escape(pattern.Trim('/')).Replace(@"\*\*/", "(.*/)?").Replace(@"\*", "[^/]*") + "(/.*)?$";
        return Regex.IsMatch(path, regex);
    }

    [GeneratedRegex(@"#r\s+\\?""nuget:\s*([\w.]+)\s*,\s*([\w.-]+)")]
    private static partial Regex NugetReference();
}
