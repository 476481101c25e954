using LoraNotebooks.Cli;

return await LoraCli.Build().Parse(args).InvokeAsync();
