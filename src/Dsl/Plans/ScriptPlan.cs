namespace LoraNotebooks.Dsl.Plans;

/// <summary>
/// Everything a checked script asks for, with defaults filled in and paths made absolute:
/// the base model, an optional training run, then the actions to run after it, in script order.
/// </summary>
/// <param name="ScriptDirectory">The folder that relative paths in the script were resolved against.</param>
/// <param name="Base">The model to start from.</param>
/// <param name="Training">The training run, or null when the script only uses existing adapters.</param>
/// <param name="Actions">What to do after training.</param>
public sealed record ScriptPlan(string ScriptDirectory, BasePlan Base, TrainingPlan? Training, ValueList<PostAction> Actions);
