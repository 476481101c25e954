"""PyTorch eager side of `lora bench`: the built-in model with the same LoRA, weights, batch and threads.

Started by `lora bench`; reads the base model, a kohya adapter and a batch file the bench wrote, prints one
JSON line with the loss on that batch (the bench checks it against the engine's within 1e-4), then answers
`steps N` lines on stdin with one JSON line of N-1 step times (the first step is not timed), until `quit`.
Run by hand: python3 bench/pytorch_bench.py --base assets/base.safetensors --adapter A --batch B --threads 1
"""
import argparse
import json
import sys
import time

import torch

from tiny_diffusion import TinyDiffusionModel, attach_lora, load_safetensors, tokenize


def loaded_blas():
    """The BLAS library this process loaded (Debian's torch uses whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "none found"
    except OSError:
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = TinyDiffusionModel.load(args.base)
    layers = attach_lora(model, args.adapter)
    batch, metadata = load_safetensors(args.batch)
    captions = json.loads(metadata["captions"])
    length = model.config["text_encoder"]["max_position_embeddings"]
    ids = tokenize(captions, length)
    if not torch.equal(ids, batch["input_ids"]):
        sys.exit("pytorch_bench: the tokenizer disagrees with the engine's input_ids")
    images = batch["images"]
    with torch.no_grad():
        loss = model.loss(images, ids, batch["noise"], batch["timesteps"]).item()
    print(json.dumps({"loss": loss, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "adapter_layers": len(layers), "blas": loaded_blas()}), flush=True)

    model.train()
    optimizer = torch.optim.AdamW(layers.parameters(), lr=args.lr)
    timesteps = model.config.get("diffusion", {}).get("num_train_timesteps", 1000)
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        seconds = []
        for step in range(int(command[1])):
            start = time.perf_counter()
            optimizer.zero_grad()
            noise = torch.randn(images.shape)
            t = torch.randint(0, timesteps, (images.shape[0],))
            model.loss(images, tokenize(captions, length), noise, t).backward()
            optimizer.step()
            if step > 0:
                seconds.append(time.perf_counter() - start)
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
