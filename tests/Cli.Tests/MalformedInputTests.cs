using System.Text;

namespace LoraNotebooks.Cli.Tests;

/// <summary>
/// A tour of what a user can hand the <c>lora</c> command, malformed: every case must end with exit
/// code 1 and one plain line saying what is wrong (never a stack trace or an internal error), and
/// must leave what was on disk as it was.
/// </summary>
public sealed class MalformedInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-malformed").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Files every case may point at, by name ({dir} is the scratch folder).</summary>
    private void Prepare()
    {
        var random = new Random(3);
        var junk = new byte[4096];
        random.NextBytes(junk);
        File.WriteAllBytes(Path.Combine(_folder, "junk.safetensors"), junk);
        File.WriteAllBytes(Path.Combine(_folder, "junk.lora"), junk);
        File.WriteAllBytes(Path.Combine(_folder, "junk.ipynb"), junk);
        File.WriteAllText(Path.Combine(_folder, "empty.safetensors"), "");
        File.WriteAllText(Path.Combine(_folder, "list.ipynb"), "[1, 2]");
        // A file whose 8-byte header length points past its end.
        File.WriteAllBytes(Path.Combine(_folder, "truncated.safetensors"), [.. BitConverter.GetBytes(1000L), .. "{\"a\":"u8.ToArray()]);
        File.WriteAllText(Path.Combine(_folder, "deep.lora"), "train {\n steps " + new string('[', 5000) + "\n}\n");
        File.WriteAllText(Path.Combine(_folder, "bad.lora"), "train { steps -3 }\n");
        File.WriteAllText(Path.Combine(_folder, "huge.lora"), "# " + new string('x', 2 << 20) + "\n");
        File.WriteAllText(Path.Combine(_folder, "a-file"), "not a folder");
        Directory.CreateDirectory(Path.Combine(_folder, "empty-peft"));
        Directory.CreateDirectory(Path.Combine(_folder, "peft"));
        File.WriteAllBytes(Path.Combine(_folder, "peft", "adapter_model.safetensors"), junk);
        Directory.CreateDirectory(Path.Combine(_folder, "folder.lora"));
    }

    public static TheoryData<string, string> Cases => new()
    {
        // command line (| separates arguments; {dir} is the scratch folder)   what the message must mention
        { "check|{dir}/missing.lora", "does not exist" },
        { "run|{dir}/huge.lora", "a script is at most" },
        { "check|{dir}/folder.lora", "is a folder" },
        { "check|", "a path cannot be empty" },
        { "inspect|a{nul}b", "NUL" },
        { "check|{dir}/junk.lora", "" },
        { "check|{dir}/deep.lora", "nest more than" },
        { "check|{dir}/bad.lora", "" },
        { "fmt|{dir}/missing.lora", "does not exist" },
        { "fmt|{dir}/junk.lora|--write", "" },
        { "run|{dir}/missing.lora", "does not exist" },
        { "run|{dir}/bad.lora", "" },
        { "run|{dir}/folder.lora", "" },
        { "inspect|{dir}/missing.safetensors", "" },
        { "inspect|{dir}/junk.safetensors", "" },
        { "inspect|{dir}/empty.safetensors", "" },
        { "inspect|{dir}/truncated.safetensors", "" },
        { "inspect|{dir}/empty-peft", "" },
        { "inspect|{dir}/peft", "" },
        { "inspect|", "" },
        { "sample|a red star|--adapter|{dir}/junk.safetensors|--out|{dir}/grid.png", "" },
        { "sample|a red star|--adapter|{dir}/missing.safetensors|--out|{dir}/grid.png", "" },
        { "sample|a red star|--base|{dir}/junk.safetensors|--out|{dir}/grid.png", "" },
        { "eval|--adapter|{dir}/junk.safetensors", "" },
        { "eval|--samples|0", "--samples" },
        { "eval|--world|concept/star", "give --adapter too" },
        { "model|info|nonsense", "" },
        { "world|export|monsters|star|{dir}/out", "" },
        { "world|export|concept|nonsense|{dir}/out", "" },
        { "world|export|concept|star|{dir}/a-file", "is a file" },
        { "notebook|run|{dir}/missing.ipynb", "" },
        { "notebook|run|{dir}/junk.ipynb", "" },
        { "notebook|run|{dir}/list.ipynb", "" },
        { "notebook|run|{dir}/empty-peft", "" },
        { "jupyter|install|--path|{dir}/a-file|--host|/bin/true", "" },
        { "jupyter|install|--path|{dir}/out|--host|{dir}/missing-host", "" },
        { "pretrain|--checkpoints|{dir}/a-file|--steps|1", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task malformed_input_gets_one_clear_line_and_exit_code_1(string commandLine, string mention)
    {
        Prepare();
        var before = Snapshot();
        var args = commandLine.Split('|').Select(a => a.Replace("{dir}", _folder).Replace("{nul}", "\0")).ToArray();

        var result = await CliRun.RunAsync(args);

        // Script diagnostics go to standard output with the summary; everything else to standard error.
        var said = result.Error + result.Output;
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode} for `lora {string.Join(' ', args)}`:\n{said}");
        var lines = said.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("internal error", said);
        Assert.True(said.Trim().Length > 0, "no message");
        Assert.Contains(mention, said);
        Assert.Equal(before, Snapshot());
    }

    /// <summary>Every file under the scratch folder with its bytes, to see that nothing was changed or lost.</summary>
    private string Snapshot()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(_folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            text.Append(file).Append(' ').AppendLine(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))));
        return text.ToString();
    }
}
