namespace LoraNotebooks.Engine.World;

/// <summary>One member of a family: its name (also its default trigger word) and what it looks like.</summary>
public sealed record FamilyMember(string Name, string Description);

/// <summary>
/// A kind of thing held out of pretraining so that a LoRA lesson has something new to teach.
/// Each member samples scenes that vary every other attribute of the world.
/// </summary>
public abstract class WorldFamily
{
    /// <summary>The family name used in commands and notebooks (e.g. "concept").</summary>
    public abstract string Name { get; }

    /// <summary>One sentence on what the family teaches.</summary>
    public abstract string Description { get; }

    /// <summary>The members, in catalogue order.</summary>
    public abstract IReadOnlyList<FamilyMember> Members { get; }

    /// <summary>
    /// Held-in shapes whose prompts best reveal leakage from this family (a character LoRA
    /// that leaks changes plain figures first).
    /// </summary>
    internal abstract IReadOnlyList<string> LeakageShapes { get; }

    /// <summary>Random labels for one scene showing <paramref name="member"/>.</summary>
    internal abstract WorldLabels Sample(string member, Random rng);

    /// <summary>The member called <paramref name="name"/>.</summary>
    /// <exception cref="UserErrorException">No such member; the message lists the members.</exception>
    public FamilyMember Member(string name) =>
        Members.FirstOrDefault(m => m.Name == name)
        ?? throw new UserErrorException(
            $"unknown {Name} '{name}'; members: {string.Join(", ", Members.Select(m => m.Name))}");
}
