"""End-to-end tests through real Jupyter: Debian's nbclient/jupyter_client and the dotnet-interactive
kernel started from the `lora-csharp` kernelspec that `lora jupyter install` writes.

Run after README's notebook steps (the package feed and the kernelspec must exist):
    /usr/bin/python3 tests/Jupyter/e2e.py
"""
import json, os, queue, re, shutil, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = os.path.join(REPO, "notebooks", "00-smoke.ipynb")
OUT = os.path.join(REPO, "out", "notebooks")
KERNEL = "lora-csharp"

try:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
    from jupyter_client.manager import start_new_kernel
except ImportError as e:
    sys.exit(f"e2e: {e.name} is missing: apt-get install -y python3-nbclient python3-nbconvert jupyter-client python3-ipykernel (see README)")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def outputs(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            yield cell, output


def test_notebook_trains_with_live_output_chart_and_grid():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=900, resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}})
    started = time.time()
    client.execute()
    elapsed = time.time() - started
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
    km, kc = start_new_kernel(kernel_name=KERNEL, cwd=os.path.dirname(NOTEBOOK))
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        for source in [nb.cells[1].source, nb.cells[2].source]:
            reply = kc.execute_interactive(source, timeout=300)
            check(reply["content"]["status"] == "ok", f"setup cell: {reply['content']}")
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
        if name.startswith("test_"):
            try:
                test()
            except Exception as e:  # report every test, then fail
                failed += 1
                print(f"FAILED {name}: {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)
