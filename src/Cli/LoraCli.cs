using System.CommandLine;
using LoraNotebooks.Cli.Commands;

namespace LoraNotebooks.Cli;

/// <summary>The <c>lora</c> command tree.</summary>
public static class LoraCli
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("LoraNotebooks: train, check, sample, inspect and evaluate LoRA adapters for image models.");
        root.Subcommands.Add(CheckCommand.Create());
        root.Subcommands.Add(CheckCommand.CreateFormat());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(WorldCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(NotebookCommand.Create());
        root.Subcommands.Add(JupyterCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
