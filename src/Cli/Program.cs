using LoraNotebooks.Cli;

using System.CommandLine;

// Ctrl+C cancels the running command, which then writes its checkpoint; give it time to finish.
return await LoraCli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) });
