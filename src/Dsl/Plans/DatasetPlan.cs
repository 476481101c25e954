using System.ComponentModel;
using System.Text;

namespace LoraNotebooks.Dsl.Plans;

/// <summary>Images to learn from and how to present them.</summary>
/// <param name="Name">The dataset's name (given, or taken from its folder or world member).</param>
/// <param name="Source">Where the images come from.</param>
/// <param name="ImageCount">Images found (folder) or asked for (world) when the script was checked.</param>
/// <param name="ValidationImages">How many of them are held out to measure validation loss.</param>
/// <param name="Repeats">How often each image appears per epoch.</param>
/// <param name="Trigger">The word that calls the learnt thing up, put first in every caption; null for none.</param>
/// <param name="CaptionExtension">The caption file beside each image, e.g. <c>.txt</c>.</param>
/// <param name="CaptionShuffle">Shuffle comma-separated caption tags, or null to keep captions as written.</param>
/// <param name="CaptionDropout">Fraction of steps (0 to 1) that train with an empty caption.</param>
/// <param name="Flip">Mirror images left-right at random.</param>
/// <param name="Resolution">Training size in pixels (square), or null for the base model's own size.</param>
/// <param name="Crop">How a picture larger than its bucket is cut to it: at the centre once, or at a random place each time it is drawn.</param>
/// <param name="Preserve">
/// Null for a dataset that teaches. Otherwise how it preserves: its pictures and captions train the adapter to
/// leave the model's prediction as the base makes it (regularisation against leakage).
/// </param>
/// <param name="Mask">Null to learn from every pixel alike; otherwise a masked loss (<see cref="LossMask"/>).</param>
public sealed record DatasetPlan(
    string Name,
    DatasetSource Source,
    int ImageCount,
    int ValidationImages,
    int Repeats,
    string? Trigger,
    string CaptionExtension,
    CaptionShuffle? CaptionShuffle,
    double CaptionDropout,
    bool Flip,
    int? Resolution,
    Crop Crop = Crop.Center,
    Preservation? Preserve = null,
    LossMask? Mask = null)
{
    /// <summary>Images that train (the rest are held out for validation).</summary>
    public int TrainImages => ImageCount - ValidationImages;

    /// <summary>True when the dataset keeps the base's output rather than teaching something new.</summary>
    [Browsable(false)]
    public bool Preserves => Preserve is not null;

    // A plan's text is its run's fingerprint (checkpoints and outputs carry it): a dataset without a mask prints
    // exactly as the compiler's record printing did before masks existed, so those runs keep their fingerprints.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", Source = ").Append(Source)
            .Append(", ImageCount = ").Append(ImageCount.ToString())
            .Append(", ValidationImages = ").Append(ValidationImages.ToString())
            .Append(", Repeats = ").Append(Repeats.ToString())
            .Append(", Trigger = ").Append(Trigger)
            .Append(", CaptionExtension = ").Append(CaptionExtension)
            .Append(", CaptionShuffle = ").Append(CaptionShuffle)
            .Append(", CaptionDropout = ").Append(CaptionDropout.ToString())
            .Append(", Flip = ").Append(Flip.ToString())
            .Append(", Resolution = ").Append(Resolution?.ToString())
            .Append(", Crop = ").Append(Crop.ToString())
            .Append(", Preserve = ").Append(Preserve);
        if (Mask is not null)
            builder.Append(", Mask = ").Append(Mask);
        builder.Append(", TrainImages = ").Append(TrainImages.ToString())
            .Append(", Preserves = ").Append(Preserves.ToString());
        return true;
    }
}

/// <summary>
/// A masked loss: the teaching loss weighs each pixel by a mask, so that an adapter learns the masked part (a hat, a
/// face, a product) and not what happens to be around it. Pixels outside count <see cref="Outside"/> as much.
/// </summary>
/// <param name="Folder">
/// A folder of mask pictures named as the dataset's pictures (white learns, black does not, grey between), or null
/// for a world dataset, whose generator knows where it painted each picture's subject.
/// </param>
/// <param name="Outside">The weight (0 to 1) of pixels outside the mask: 0 ignores them, 1 is no mask at all.</param>
public sealed record LossMask(string? Folder, double Outside);

/// <summary>
/// Output preservation: a dataset whose pictures train the adapter to leave the base's prediction unchanged.
/// </summary>
/// <param name="Weight">How much its loss counts against the teaching loss.</param>
/// <param name="NoisyShare">
/// The share (0 to 1) of its timesteps drawn from the noisiest tenth of the schedule instead of uniformly. Sampling
/// settles a picture's layout and background in its first, noisiest steps, where a uniform draw spends a tenth.
/// </param>
/// <param name="DrawnByBase">
/// The pictures are the base's own samples of the dataset's captions, drawn before training, in place of the
/// dataset's: the adapter is held to the base where sampling takes it, pictures the base draws wrong included
/// (DreamBooth's prior preservation generates its class images the same way).
/// </param>
public sealed record Preservation(double Weight, double NoisyShare = 0, bool DrawnByBase = false)
{
    /// <summary>
    /// The weight alone while no timestep leans noisy, as the bare weight printed before the share existed: a run's
    /// fingerprint is its plan's text, so checkpoints written then still resume and outputs are still recognised.
    /// </summary>
    public override string ToString() => (NoisyShare == 0 ? $"{Weight}" : $"{Weight} noisy {NoisyShare}") + (DrawnByBase ? " drawn_by base" : "");
}

/// <summary>Where a picture is cut to its training size.</summary>
public enum Crop
{
    /// <summary>The centre, once, when the dataset is read.</summary>
    Center,

    /// <summary>A random place each time the picture is drawn (seeded): more variety from few pictures.</summary>
    Random,
}

/// <summary>Caption tags are shuffled each step, except the first <see cref="KeepTokens"/> (e.g. the trigger).</summary>
public sealed record CaptionShuffle(int KeepTokens);

/// <summary>Where a dataset's images come from.</summary>
public abstract record DatasetSource;

/// <summary>A folder of images, each with a caption file of the same name.</summary>
public sealed record FolderSource(string Path) : DatasetSource;

/// <summary>
/// Images drawn by the built-in world generator: <see cref="Count"/> images of one member of a family, or,
/// for the family <see cref="HeldIn"/>, pictures of the world the base model learnt: every shape when
/// <see cref="Member"/> is empty, otherwise only that shape (e.g. <c>figure</c>).
/// </summary>
public sealed record WorldSource(string Family, string Member, int Count) : DatasetSource
{
    /// <summary>The family name of the base model's own world: <c>world held_in count 40</c>.</summary>
    public const string HeldIn = "held_in";

    /// <summary>True for pictures of the base model's own world.</summary>
    [Browsable(false)]
    public bool IsHeldIn => Family == HeldIn;
}
