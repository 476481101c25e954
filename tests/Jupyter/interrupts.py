"""Interrupt endurance through real Jupyter: starts short training runs in one `lora-csharp` kernel and
interrupts each at a random point (while it checks, loads data, builds the model or trains), COUNT times.
After every interrupt the kernel must be alive and answer a cell, the run must have stopped, and every
checkpoint written so far must be a whole safetensors file (checked here, independently of the engine).

Run after README's notebook steps, like e2e.py:
    /usr/bin/python3 tests/Jupyter/interrupts.py [--count 50] [--seed 1]
.ci/run runs a --count 5 slice with a new seed each time (the seed is printed, so a failure reruns).
"""
import argparse, glob, json, os, queue, random, re, shutil, struct, sys, time

try:
    import nbformat, jupyter_client
except ImportError as e:
    sys.exit(f"interrupts: {e.name} is missing: apt-get install -y python3-nbclient jupyter-client python3-ipykernel (see README)")

from smoke_kernel import REPO, check, start_smoke_kernel

OUT = os.path.join(REPO, "out", "notebooks", "interrupts")


def whole_safetensors(path):
    """Raises unless path is a complete safetensors file: a header that parses and data that ends where it says."""
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 8, f"{path}: {len(data)} bytes")
    (length,) = struct.unpack("<Q", data[:8])
    check(8 + length <= len(data), f"{path}: header of {length} bytes in a {len(data)}-byte file")
    header = json.loads(data[8:8 + length])
    ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    check(8 + length + max(ends, default=0) == len(data), f"{path}: data does not end where the header says")
    check("lora.checkpoint.step" in header.get("__metadata__", {}), f"{path}: no step in the metadata")


def runs(kc):
    """How many runs the kernel has recorded (a run is recorded when it ends, interrupted or not)."""
    seen = []
    reply = kc.execute_interactive('$"runs={Lora.Runs.Count}"', timeout=120,
                                   output_hook=lambda m: seen.append(json.dumps(m["content"].get("data", {}))))
    check(reply["content"]["status"] == "ok", f"a cell after the interrupt fails: {reply['content']}")
    counts = [int(n) for text in seen for n in re.findall(r"runs=(\d+)", text)]
    check(counts, f"no run count in {seen}")
    return counts[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"interrupts: {args.count} rounds, seed {args.seed}", flush=True)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    km, kc, nb = start_smoke_kernel(setup_timeout=900)
    outcomes = {"during training": 0, "before training": 0}
    checkpoints = 0
    repeats = 0
    started = time.time()
    try:
        for round_ in range(args.count):
            name = f"round-{round_:03d}"
            output = os.path.join(OUT, f"{name}.safetensors")
            script = (nb.cells[4].source.replace("steps 6", "steps 5000").replace("every 3 steps", "every 7 steps")
                      .replace("../out/notebooks/smoke-star.safetensors", output)
                      .replace("batch 2", "batch 2\n  checkpoint every 2 steps"))
            runs_before = runs(kc)
            msg_id = kc.execute(script)
            # A random point: from right after the request (still checking) to a few seconds into training.
            time.sleep(rng.uniform(0, 6))
            km.interrupt_kernel()
            trained = False
            deadline = time.time() + 300
            # An interrupt that lands before the cell starts executing finds nothing to stop (Jupyter's
            # semantics): the cell then runs. Like a user, press interrupt again while it keeps running.
            again = time.time() + 20
            while time.time() < deadline:
                if time.time() > again:
                    km.interrupt_kernel()
                    repeats += 1
                    again = time.time() + 20
                try:
                    msg = kc.get_iopub_msg(timeout=1)
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if "step " in json.dumps(msg["content"].get("data", {})):
                    trained = True
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            # The cell's execute_reply (an error when interrupted); other replies are not ours.
            while True:
                try:
                    if kc.get_shell_msg(timeout=120)["parent_header"].get("msg_id") == msg_id:
                        break
                except queue.Empty:
                    raise AssertionError(f"{name}: the interrupted cell never replied")
            check(km.is_alive(), f"{name}: the kernel died")
            # The training thread stops at its next step check, saves, and records the run: wait for that.
            for _ in range(240 if trained else 10):
                if runs(kc) > runs_before:
                    break
                time.sleep(0.5)
            recorded = runs(kc) > runs_before
            check(recorded or not trained, f"{name}: training started but the run never ended")
            outcomes["during training" if recorded else "before training"] += 1
            for path in glob.glob(os.path.join(OUT, f"{name}.checkpoints", "*.safetensors")):
                whole_safetensors(path)
                checkpoints += 1
            reply = kc.execute_interactive("1 + 1", timeout=60)
            check(reply["content"]["status"] == "ok", f"{name}: the kernel does not answer after the interrupt")
            print(f"{name}: {'during training' if recorded else 'before training'}, {checkpoints} checkpoints so far", flush=True)
        print(f"interrupts: ok, {args.count} interrupts in {time.time() - started:.0f} s "
              f"({outcomes['during training']} during training, {outcomes['before training']} before it started), "
              f"{checkpoints} checkpoints written, all whole; {repeats} interrupts pressed again because the first came before the cell started; "
              f"the kernel answered after every one")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
