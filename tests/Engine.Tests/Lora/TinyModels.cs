using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraNotebooks.Engine.Tests.Lora;

/// <summary>Small module trees for LoRA tests, each with a matching input.</summary>
public static class TinyModels
{
    public sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1;
        private readonly Linear fc2;

        public Mlp() : base(nameof(Mlp))
        {
            fc1 = nn.Linear(6, 10);
            fc2 = nn.Linear(10, 3);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => fc2.call(nn.functional.gelu(fc1.call(x)));
    }

    public sealed class ConvNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv_in;
        private readonly Conv2d proj;
        private readonly Linear head;

        public ConvNet() : base(nameof(ConvNet))
        {
            conv_in = nn.Conv2d(3, 5, 3, padding: 1);
            proj = nn.Conv2d(5, 4, 3, stride: 2, padding: 1);
            head = nn.Linear(4 * 3 * 3, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) =>
            head.call(nn.functional.silu(proj.call(nn.functional.silu(conv_in.call(x)))).flatten(1));
    }

    /// <summary>A tree named like diffusers' UNet, to check kohya key names.</summary>
    public sealed class DiffusersLike : nn.Module<Tensor, Tensor>
    {
        private readonly ModuleList<Block> down_blocks;

        public DiffusersLike() : base(nameof(DiffusersLike))
        {
            down_blocks = nn.ModuleList(new Block());
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => down_blocks[0].call(x);

        public sealed class Block : nn.Module<Tensor, Tensor>
        {
            private readonly ModuleList<Transformer> attentions;

            public Block() : base(nameof(Block))
            {
                attentions = nn.ModuleList(new Transformer());
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => attentions[0].call(x);
        }

        public sealed class Transformer : nn.Module<Tensor, Tensor>
        {
            private readonly ModuleList<Attention> transformer_blocks;

            public Transformer() : base(nameof(Transformer))
            {
                transformer_blocks = nn.ModuleList(new Attention());
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => transformer_blocks[0].call(x);
        }

        public sealed class Attention : nn.Module<Tensor, Tensor>
        {
            private readonly AttentionProjections attn1;

            public Attention() : base(nameof(Attention))
            {
                attn1 = new AttentionProjections();
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => attn1.call(x);
        }

        public sealed class AttentionProjections : nn.Module<Tensor, Tensor>
        {
            private readonly Linear to_q;
            private readonly ModuleList<Linear> to_out;

            public AttentionProjections() : base(nameof(AttentionProjections))
            {
                to_q = nn.Linear(4, 4);
                to_out = nn.ModuleList(nn.Linear(4, 4));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => to_out[0].call(to_q.call(x));
        }
    }
}
