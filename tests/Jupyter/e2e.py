"""End-to-end tests through real Jupyter: Debian's nbclient/jupyter_client and the dotnet-interactive
kernel started from the `lora-csharp` kernelspec that `lora jupyter install` writes.

Run after README's notebook steps (the package feed and the kernelspec must exist):
    /usr/bin/python3 tests/Jupyter/e2e.py                 # every test
    /usr/bin/python3 tests/Jupyter/e2e.py 01 04           # only notebooks whose names start so (no interrupt test)

Every notebook in notebooks/ runs top to bottom in a fresh kernel. A notebook fails on an error output, on
anything written to stderr, on a run over its time budget (E2E_NOTEBOOK_BUDGET seconds, default 300), or on a
cell that lacks an output its tags promise:
    expect-chart   the live run display with its loss chart (class="lora-run" with an <svg>)
    expect-grid    a picture grid (class="lora-grid" with an inline PNG)
    expect-card    an adapter card (class="lora-card")
    expect-scores  a run's judged scores (class="lora-scores" with fidelity)
    expect-output  any output at all (for cells that either work or say why they skip)
"""
import glob, json, os, queue, re, shutil, subprocess, sys, time

from smoke_kernel import KERNEL, NOTEBOOK, REPO, check, start_smoke_kernel

OUT = os.path.join(REPO, "out", "notebooks")

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter
    import jupyter_client
except ImportError as e:
    sys.exit(f"e2e: {e.name} is missing: apt-get install -y python3-nbclient python3-nbconvert jupyter-client python3-ipykernel (see README)")


def outputs(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            yield cell, output


EXPECTED = {
    "expect-chart": lambda html, text: any('class="lora-run"' in h and "<svg" in h for h in html),
    "expect-grid": lambda html, text: any('class="lora-grid"' in h and "data:image/png" in h for h in html),
    "expect-card": lambda html, text: any('class="lora-card"' in h for h in html),
    "expect-scores": lambda html, text: any('class="lora-scores"' in h and "fidelity" in h for h in html),
    "expect-output": lambda html, text: any(t.strip() for t in text) or bool(html),
}
BUDGET = float(os.environ.get("E2E_NOTEBOOK_BUDGET", "300"))
executed = {}  # notebook path -> (executed notebook, seconds, error or None)


def execute(path):
    """Runs a notebook once per test run in a fresh kernel, with its own folder as the current folder."""
    if path not in executed:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name=KERNEL, timeout=900, resources={"metadata": {"path": os.path.dirname(path)}})
        started, error = time.time(), None
        try:
            client.execute()
        except CellExecutionError as e:
            error = str(e).strip().splitlines()[-1][:500]
        executed[path] = (nb, time.time() - started, error)
        os.makedirs(OUT, exist_ok=True)
        name = os.path.splitext(os.path.basename(path))[0]
        nbformat.write(nb, os.path.join(OUT, name + ".executed.ipynb"))
    return executed[path]


def cell_outputs(cell):
    html = [o["data"]["text/html"] for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    text = [o["data"].get("text/plain", "") for o in cell.get("outputs", []) if "data" in o]
    text += [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout"]
    return html, text


def problems(nb, seconds, error):
    """Everything wrong with an executed notebook, as messages."""
    found = [f"cell error: {error}"] if error else []
    if seconds > BUDGET:
        found.append(f"took {seconds:.0f} s, over the budget of {BUDGET:.0f} s")
    text = [t for cell in nb.cells for t in cell_outputs(cell)[1]]
    if not any(t.startswith("LoraNotebooks 0.1.0 loaded: device") for t in text):
        found.append("no load line")
    if any("not pretrained" in t for t in text):
        found.append("the kernel did not find the shipped base model (assets/base.safetensors)")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: error output {output.get('ename')}: {output.get('evalue', '')[:300]}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: stderr: {output.get('text', '')[:300]}")
        html, text = cell_outputs(cell)
        for tag in cell.metadata.get("tags", []):
            if tag in EXPECTED and not EXPECTED[tag](html, text):
                found.append(f"cell {index}: {tag} is missing (source starts {cell.source[:60]!r})")
    return found


def notebooks():
    names = sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))
    selected = [a for a in sys.argv[1:] if not a.startswith("-")]
    return [n for n in names if not selected or any(os.path.basename(n).startswith(s) for s in selected)]


def test_notebooks_are_committed_without_outputs_and_tag_only_known_expectations():
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        name = os.path.basename(path)
        check(nb.metadata.get("kernelspec", {}).get("name") == KERNEL, f"{name}: kernelspec {KERNEL}")
        for cell in nb.cells:
            check(not cell.get("outputs") and cell.get("execution_count") is None, f"{name}: outputs in git")
            unknown = [t for t in cell.metadata.get("tags", []) if t.startswith("expect-") and t not in EXPECTED]
            check(not unknown, f"{name}: unknown tags {unknown}")


def test_every_notebook_runs_top_to_bottom_with_the_outputs_its_cells_promise():
    failures, timings = [], {}
    for path in notebooks():
        nb, seconds, error = execute(path)
        name = os.path.basename(path)
        timings[name] = round(seconds, 1)
        found = problems(nb, seconds, error)
        print(f"notebook {name}: {'ok' if not found else 'FAILED'} in {seconds:.1f} s")
        failures += [f"{name}: {p}" for p in found]
    with open(os.path.join(OUT, "timings.json"), "w") as f:
        json.dump(timings, f, indent=1)
    print(f"notebooks: {len(timings)} in {sum(timings.values()):.0f} s")
    check(not failures, "\n  ".join(["notebook problems:"] + failures))


def test_notebook_trains_with_live_output_chart_and_grid():
    if NOTEBOOK not in notebooks():
        return
    nb, elapsed, error = execute(NOTEBOOK)
    check(error is None, f"smoke notebook: {error}")
    html = [o["data"]["text/html"] for _, o in outputs(nb) if "text/html" in o.get("data", {})]
    text = [o["data"].get("text/plain", "") for _, o in outputs(nb) if "data" in o]
    check(any(t.startswith("LoraNotebooks 0.1.0 loaded: device CPU; interrupt: on") for t in text), "the load line")
    check(sum("plotly.js v2.28.0" in h for h in html) == 1, "plotly.js inline exactly once")
    live = [h for h in html if 'class="lora-run"' in h]
    check(len(live) == 1, "one live display")
    check("step 6/6" in live[0] and "finished 6 steps" in live[0], "the live display ends updated in place")
    check("<svg" in live[0] and "Plotly.newPlot" in live[0], "a chart with its static fallback")
    check('class="lora-grid"' in live[0] and "data:image/png" in live[0], "the latest preview grid")
    check(any('class="lora-card"' in h and "trainable params" in h for h in html), "the adapter card")
    check(any('class="lora-grid"' in h and "a red circle" in h for h in html), "the compare grid")
    check(any("6 steps, final loss" in t for t in text), "the run as a .NET object in C#")

    os.makedirs(OUT, exist_ok=True)
    nbformat.write(nb, os.path.join(OUT, "00-smoke.executed.ipynb"))
    page, _ = HTMLExporter().from_notebook_node(nb)
    with open(os.path.join(OUT, "00-smoke.html"), "w") as f:
        f.write(page)
    check("window.define=undefined" in page and "plotly.js v2.28.0" in page, "the static HTML carries plotly.js inline")
    check('src="https://cdn.plot.ly' not in page, "no plotly.js from a CDN")
    check("<polyline" in page, "the SVG fallback is in the static HTML")
    check(not any("not pretrained" in t for t in text), "the kernel found the shipped base model")
    check_charts_draw_in_a_browser(os.path.join(OUT, "00-smoke.html"))
    print(f"notebook: ok in {elapsed:.1f} s, {os.path.getsize(os.path.join(OUT, '00-smoke.executed.ipynb')) / 1e6:.1f} MB executed")


def check_charts_draw_in_a_browser(page):
    """Opens the static HTML in headless Chromium (no network needed: plotly.js is inline) and checks
    that Plotly drew the loss chart: its SVG and the loss and smoothed traces are in the rendered DOM."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    check(browser is not None, "chromium is needed to check the charts (apt-get install chromium; .ci/run does)")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                          "--dump-dom", "file://" + os.path.abspath(page)],
                         capture_output=True, text=True, timeout=180).stdout
    check('class="main-svg"' in dom, "plotly drew the chart in the browser")
    check(len(re.findall(r'class="trace scatter', dom)) >= 2, "the chart has the loss and smoothed traces")


def test_interrupt_stops_a_run_and_the_kernel_keeps_working():
    km, kc, nb = start_smoke_kernel(setup_timeout=300)
    try:
        script = nb.cells[4].source.replace("steps 6", "steps 5000").replace("smoke-star", "interrupted")
        msg_id = kc.execute(script)
        updates, interrupted_at = 0, None
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "update_display_data":
                updates += 1
                # Display updates are throttled, so any step past the first will do.
                step = re.search(r"step (\d+)/5000", msg["content"]["data"].get("text/plain", ""))
                if interrupted_at is None and step and int(step.group(1)) >= 2:
                    km.interrupt_kernel()
                    interrupted_at = time.time()
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle" and interrupted_at:
                break
        check(interrupted_at is not None, "training reached step 2")
        reply = kc.get_shell_msg(timeout=60)
        stopped = time.time() - interrupted_at
        check(reply["content"]["status"] == "error", f"the interrupted cell ends with an error: {reply['content']}")
        check(km.is_alive(), "the kernel survives the interrupt")
        # The host ends the cell at once; the training thread stops at its next step check (a step can take
        # seconds on a busy machine) and saves the adapter so far. Poll from C# cells until it has.
        values = []
        for _ in range(60):
            values.clear()
            reply = kc.execute_interactive(
                'var last = Lora.LastRun; last is null ? "running" : $"{last.Cancelled} {last.StepsDone < 5000} {System.IO.File.Exists(last.CheckpointPath)}"',
                timeout=120, output_hook=lambda m: values.append(m["content"].get("data", {}).get("text/plain", "")))
            check(reply["content"]["status"] == "ok", f"a cell after the interrupt runs: {reply['content']}")
            if "running" not in values:
                break
            time.sleep(1)
        check("True True True" in values, f"the run was cancelled and checkpointed: {values}")
        print(f"interrupt: ok, cell ended {stopped:.2f} s after SIGINT, {updates} in-place updates before")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    failed = 0
    for name, test in list(globals().items()):
        if name.startswith("test_") and not (name.startswith("test_interrupt") and sys.argv[1:]):
            try:
                test()
            except Exception as e:  # report every test, then fail
                failed += 1
                print(f"FAILED {name}: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)
