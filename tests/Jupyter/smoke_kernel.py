"""What e2e.py and interrupts.py share: the repository's paths, an assertion helper, and a real
`lora-csharp` kernel with the smoke notebook's setup cells (load the package, using) already run."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = os.path.join(REPO, "notebooks", "00-smoke.ipynb")
KERNEL = "lora-csharp"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def start_smoke_kernel(setup_timeout):
    """A fresh kernel in the notebooks folder, its setup cells run; returns (manager, client, notebook).
    The first cell loads the package and TorchSharp: minutes on a busy machine."""
    import nbformat
    from jupyter_client.manager import start_new_kernel
    nb = nbformat.read(NOTEBOOK, as_version=4)
    km, kc = start_new_kernel(kernel_name=KERNEL, cwd=os.path.dirname(NOTEBOOK))
    try:
        for source in [nb.cells[1].source, nb.cells[2].source]:
            reply = kc.execute_interactive(source, timeout=setup_timeout)
            check(reply["content"]["status"] == "ok", f"setup cell: {reply['content']}")
    except BaseException:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return km, kc, nb
