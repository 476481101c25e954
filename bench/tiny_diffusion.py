"""The built-in base model (src/Engine/Models/TinyDiffusionModel.cs) and its LoRA, in PyTorch eager.

Same architecture, same state-dict keys, same loss: it loads assets/base.safetensors (config from the
`lora.config` metadata) and a kohya adapter file written by the engine. Used by `lora bench` to compare
training throughput with PyTorch on the same weights, batch and threads (bench/pytorch_bench.py).
Needs only Python 3 and torch (Debian: python3-torch).
"""
import json
import math
import struct

import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32,
          "U8": torch.uint8, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    """(tensors by name, metadata) of a .safetensors file."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = bytearray(f.read())
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        if end == start:
            tensors[name] = torch.zeros(entry["shape"], dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(data, dtype=dtype, count=(end - start) // torch.tensor([], dtype=dtype).element_size(),
                                             offset=start).reshape(entry["shape"]).clone()
    return tensors, metadata


# ---- text encoder (CLIPTextModel over byte tokens) -------------------------------------------------

BOS, EOS, PAD = 256, 257, 258


def tokenize(texts, max_length):
    rows = []
    for text in texts:
        data = text.strip().lower().encode("utf-8")[: max_length - 2]
        ids = [BOS, *data, EOS]
        rows.append(ids + [PAD] * (max_length - len(ids)))
    return torch.tensor(rows, dtype=torch.int64)


def multi_head(q, k, v, heads, mask=None):
    b, n, width = q.shape
    d = width // heads

    def split(x):
        return x.view(b, x.shape[1], heads, d).transpose(1, 2)

    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    if mask is not None:
        scores = scores + mask
    out = scores.softmax(-1) @ v
    return out.transpose(1, 2).reshape(b, n, width)


class TextSelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(width, width) for _ in range(4))
        self.heads = heads

    def forward(self, hidden, mask):
        return self.out_proj(multi_head(self.q_proj(hidden), self.k_proj(hidden), self.v_proj(hidden), self.heads, mask))


class TextMlp(nn.Module):
    def __init__(self, width, inner, quick_gelu):
        super().__init__()
        self.fc1, self.fc2, self.quick = nn.Linear(width, inner), nn.Linear(inner, width), quick_gelu

    def forward(self, x):
        x = self.fc1(x)
        x = x * torch.sigmoid(1.702 * x) if self.quick else F.gelu(x)
        return self.fc2(x)


class TextEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = TextSelfAttention(c["hidden_size"], c["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(c["hidden_size"])
        self.mlp = TextMlp(c["hidden_size"], c["intermediate_size"], c.get("hidden_act", "gelu") == "quick_gelu")
        self.layer_norm2 = nn.LayerNorm(c["hidden_size"])

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class TextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embedding = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])

    def forward(self, ids):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.token_embedding(ids) + self.position_embedding(positions)


class TextEncoderStack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList(TextEncoderLayer(c) for _ in range(c["num_hidden_layers"]))

    def forward(self, x, mask):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class TextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = TextEmbeddings(c)
        self.encoder = TextEncoderStack(c)
        self.final_layer_norm = nn.LayerNorm(c["hidden_size"])
        self.pad = c.get("pad_token_id", PAD)
        self.causal = c.get("causal_mask", False)

    def forward(self, ids):
        b, length = ids.shape
        hidden = self.embeddings(ids)
        mask = torch.zeros(b, 1, 1, length, dtype=hidden.dtype)
        if self.pad is not None:
            mask = mask.masked_fill(ids.eq(self.pad).view(b, 1, 1, length), float("-inf"))
        if self.causal:
            mask = mask + torch.full((length, length), float("-inf")).triu(1)
        return self.final_layer_norm(self.encoder(hidden, mask))


class TextEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.text_model = TextTransformer(c)

    def forward(self, ids):
        return self.text_model(ids)


# ---- UNet (diffusers' UNet2DConditionModel, small) -------------------------------------------------

class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = None if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Attention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, head_dim):
        super().__init__()
        inner = heads * head_dim
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim)])
        self.heads = heads

    def forward(self, x, context):
        return self.to_out[0](multi_head(self.to_q(x), self.to_k(context), self.to_v(context), self.heads))


class Geglu(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x):
        value, gate = self.proj(x).chunk(2, -1)
        return value * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([Geglu(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for layer in self.net:
            x = layer(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads, head_dim):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn1 = Attention(dim, dim, heads, head_dim)
        self.attn2 = Attention(dim, context_dim, heads, head_dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        n = self.norm1(x)
        x = x + self.attn1(n, n)
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class Transformer2D(nn.Module):
    def __init__(self, c, channels):
        super().__init__()
        heads = c.get("num_attention_heads") or channels // c["attention_head_dim"]
        self.linear = c.get("use_linear_projection", True)
        self.norm = nn.GroupNorm(c["norm_num_groups"], channels, 1e-6)
        self.proj_in = nn.Linear(channels, channels) if self.linear else nn.Conv2d(channels, channels, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(channels, c["cross_attention_dim"], heads, channels // heads)])
        self.proj_out = nn.Linear(channels, channels) if self.linear else nn.Conv2d(channels, channels, 1)

    def forward(self, x, context):
        b, ch, h, w = x.shape
        normed = self.norm(x)

        def tokens(m):
            return m.permute(0, 2, 3, 1).reshape(b, h * w, ch)

        def to_map(t):
            return t.reshape(b, h, w, ch).permute(0, 3, 1, 2)

        hidden = self.proj_in(tokens(normed)) if self.linear else tokens(self.proj_in(normed))
        for block in self.transformer_blocks:
            hidden = block(hidden, context)
        out = to_map(self.proj_out(hidden)) if self.linear else self.proj_out(to_map(hidden).contiguous())
        return out + x


class Downsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    def __init__(self, c, cin, cout, attention, downsample):
        super().__init__()
        temb, n = c["block_out_channels"][0] * 4, c.get("layers_per_block", 1)
        self.resnets = nn.ModuleList(ResnetBlock(cin if i == 0 else cout, cout, temb, c["norm_num_groups"]) for i in range(n))
        self.attentions = nn.ModuleList(Transformer2D(c, cout) for _ in range(n)) if attention else nn.ModuleList()
        self.downsamplers = nn.ModuleList([Downsample2D(cout)] if downsample else [])

    def forward(self, x, temb, context, skips):
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if len(self.attentions):
                x = self.attentions[i](x, context)
            skips.append(x)
        if len(self.downsamplers):
            x = self.downsamplers[0](x)
            skips.append(x)
        return x


class UpBlock(nn.Module):
    def __init__(self, c, cin, cout, prev, attention, upsample):
        super().__init__()
        temb, n = c["block_out_channels"][0] * 4, c.get("layers_per_block", 1) + 1
        self.resnets = nn.ModuleList(
            ResnetBlock((prev if i == 0 else cout) + (cin if i == n - 1 else cout), cout, temb, c["norm_num_groups"]) for i in range(n))
        self.attentions = nn.ModuleList(Transformer2D(c, cout) for _ in range(n)) if attention else nn.ModuleList()
        self.upsamplers = nn.ModuleList([Upsample2D(cout)] if upsample else [])

    def forward(self, x, temb, context, skips):
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], 1), temb)
            if len(self.attentions):
                x = self.attentions[i](x, context)
        return self.upsamplers[0](x) if len(self.upsamplers) else x


class MidBlock(nn.Module):
    def __init__(self, c, channels):
        super().__init__()
        temb = c["block_out_channels"][0] * 4
        self.resnets = nn.ModuleList([ResnetBlock(channels, channels, temb, c["norm_num_groups"]) for _ in range(2)])
        self.attentions = nn.ModuleList([Transformer2D(c, channels)])

    def forward(self, x, temb, context):
        return self.resnets[1](self.attentions[0](self.resnets[0](x, temb), context), temb)


class TimestepEmbedding(nn.Module):
    def __init__(self, channels, dim):
        super().__init__()
        self.linear_1, self.linear_2, self.channels = nn.Linear(channels, dim), nn.Linear(dim, dim), channels

    def forward(self, t):
        half = self.channels // 2
        frequencies = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000) / half))
        angles = t.to(torch.float32).unsqueeze(1) * frequencies.unsqueeze(0)
        features = torch.cat([torch.cos(angles), torch.sin(angles)], 1)
        return self.linear_2(F.silu(self.linear_1(features)))


class UNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch = c["block_out_channels"]
        levels = len(ch)
        self.conv_in = nn.Conv2d(c.get("in_channels", 3), ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], ch[0] * 4)
        self.down_blocks = nn.ModuleList(
            DownBlock(c, ch[0] if i == 0 else ch[i - 1], ch[i], c["down_block_types"][i] == "CrossAttnDownBlock2D", i < levels - 1)
            for i in range(levels))
        self.mid_block = MidBlock(c, ch[-1])
        self.up_blocks = nn.ModuleList()
        for i in range(levels):
            level = levels - 1 - i
            self.up_blocks.append(UpBlock(c, ch[max(level - 1, 0)], ch[level], ch[min(level + 1, levels - 1)],
                                          c["up_block_types"][i] == "CrossAttnUpBlock2D", i < levels - 1))
        self.conv_norm_out = nn.GroupNorm(c["norm_num_groups"], ch[0])
        self.conv_out = nn.Conv2d(ch[0], c.get("out_channels", 3), 3, padding=1)

    def forward(self, sample, timesteps, context):
        temb = self.time_embedding(timesteps)
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x = block(x, temb, context, skips)
        x = self.mid_block(x, temb, context)
        for block in self.up_blocks:
            x = block(x, temb, context, skips)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ---- the diffusion loss ---------------------------------------------------------------------------

def alphas_cumprod(c):
    count = c.get("num_train_timesteps", 1000)
    kind = c.get("beta_schedule", "squaredcos_cap_v2")
    start, end = c.get("beta_start", 0.00085), c.get("beta_end", 0.012)

    def lerp(a, b, i):
        return a + (b - a) * i / (count - 1)

    def abar(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    if kind == "linear":
        betas = [lerp(start, end, i) for i in range(count)]
    elif kind == "scaled_linear":
        betas = [lerp(math.sqrt(start), math.sqrt(end), i) ** 2 for i in range(count)]
    else:
        betas = [min(1 - abar((i + 1) / count) / abar(i / count), 0.999) for i in range(count)]
    out, product = [], 1.0
    for beta in betas:
        product *= 1 - beta
        out.append(product)
    return out


class TinyDiffusionModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.text_encoder = TextEncoder(config["text_encoder"])
        self.unet = UNet(config["unet"])
        diffusion = config.get("diffusion", {})
        self.acp = alphas_cumprod(diffusion)
        self.v_prediction = diffusion.get("prediction_type", "v_prediction") == "v_prediction"

    @staticmethod
    def load(path):
        tensors, metadata = load_safetensors(path)
        model = TinyDiffusionModel(json.loads(metadata["lora.config"]))
        missing, unexpected = model.load_state_dict(tensors, strict=True), None
        model.eval()
        return model

    def scales(self, timesteps):
        # As the engine: sqrt in double precision, then float32.
        signal = torch.tensor([math.sqrt(self.acp[t]) for t in timesteps.tolist()], dtype=torch.float32).view(-1, 1, 1, 1)
        noise = torch.tensor([math.sqrt(1 - self.acp[t]) for t in timesteps.tolist()], dtype=torch.float32).view(-1, 1, 1, 1)
        return signal, noise

    def loss(self, images, input_ids, noise, timesteps):
        """Mean v- (or ε-) prediction MSE for images [B, 3, H, W] in [0, 1], as TinyDiffusionModel.Loss."""
        original = images * 2 - 1
        signal, scale = self.scales(timesteps)
        noisy = signal * original + scale * noise
        prediction = self.unet(noisy, timesteps, self.text_encoder(input_ids))
        target = signal * noise - scale * original if self.v_prediction else noise
        return (prediction - target).square().mean([1, 2, 3]).mean()


# ---- LoRA through forward hooks, kohya names ------------------------------------------------------

class LoraLayer(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        if isinstance(base, nn.Linear):
            self.lora_down = nn.Linear(base.in_features, rank, bias=False)
            self.lora_up = nn.Linear(rank, base.out_features, bias=False)
        else:
            self.lora_down = nn.Conv2d(base.in_channels, rank, base.kernel_size, base.stride, base.padding, base.dilation, bias=False)
            self.lora_up = nn.Conv2d(rank, base.out_channels, 1, bias=False)
        self.scale = alpha / rank

    def forward(self, x):
        return self.lora_up(self.lora_down(x)) * self.scale


def kohya_name(path):
    part, _, rest = path.partition(".")
    return ("lora_unet_" if part == "unet" else "lora_te_") + rest.replace(".", "_")


def attach_lora(model, adapter_path):
    """Attaches the adapter in a kohya file to the model's layers (forward hooks); returns its layers."""
    tensors, _ = load_safetensors(adapter_path)
    for p in model.parameters():
        p.requires_grad_(False)
    modules = dict(model.named_modules())
    layers = nn.ModuleDict()
    for path, module in modules.items():
        name = kohya_name(path) if "." in path else None
        if name is None or f"{name}.lora_down.weight" not in tensors:
            continue
        down = tensors[f"{name}.lora_down.weight"]
        layer = LoraLayer(module, down.shape[0], float(tensors[f"{name}.alpha"]))
        with torch.no_grad():
            layer.lora_down.weight.copy_(down)
            layer.lora_up.weight.copy_(tensors[f"{name}.lora_up.weight"])
        layers[name] = layer
        module.register_forward_hook(lambda _m, inputs, output, layer=layer: output + layer(inputs[0]))
    expected = {k.split(".")[0] for k in tensors if k.endswith(".lora_down.weight")}
    if set(layers.keys()) != expected:
        raise ValueError(f"adapter layers not found in the model: {sorted(expected - set(layers.keys()))}")
    return layers
