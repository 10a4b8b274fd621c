"""A learner in JupyterLab: every lesson opened in a real browser and run with Run > Run All Cells.

    .venv/bin/python tests/jupyterlab_learner.py ROOT SHOTS REPORT NOTEBOOK...

The drill of two learners on one engine (tests/test_drills.py) runs one learner this way. It
starts one JupyterLab server (127.0.0.1, a random token, a free port, ROOT as its root, this
process's environment: the learner's DOCKERLAB_PREFIX and PYTHONPATH reach every kernel) with
an isolated configuration: a temporary JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR, JUPYTER_RUNTIME_DIR,
JUPYTERLAB_SETTINGS_DIR and JUPYTERLAB_WORKSPACES_DIR, so nothing of the user's own Jupyter setup
takes part (the python3 kernel is the venv's own, under ``sys.prefix/share/jupyter/kernels``).
Its settings switch off the news and update checks and the announcements plugin (no toast over
the notebook, no request to the internet), render every cell (windowing mode "none") and switch
off autosave.

Each notebook is opened in a fresh context of Debian's headless Chromium, driven by Playwright:
Edit > Clear Outputs of All Cells, Run > Run All Cells, then wait until the kernel is idle and no
cell is still queued. A lesson fails on any error or stderr output and on any non-empty code cell
without an execution count; each gets one screenshot, ``SHOTS/<NAME>.png``: the first plot if the
notebook has one, else the whole notebook. REPORT gets one record per lesson (ok, seconds, what
failed); the exit status is 1 if any lesson failed, and the next lesson runs all the same, as a
learner goes on.

The notebooks run where they lie in ROOT, a learner's checkout: the kernel runs in the notebook's
folder and the lessons use paths such as ``../calculator/``. The server's contents manager
refuses every write (save, rename, delete, new file), so neither the page nor a stray click can
save a notebook, and a lesson fails if the server log shows a refused write. Autosave is off as
well, so no write is even tried. JupyterLab's checkpoints (it makes one when it opens a notebook)
go to a temporary folder. Lesson 01 rewrites calculator/ with %%writefile (the kernel writes, not
the server); the drill checks that it wrote exactly the committed files.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTEBOOK_TIMEOUT = 30 * 60  # seconds: a notebook may build images with a cold cache
STARTUP_TIMEOUT = 300  # seconds for the server to answer, the page to show the notebook, a kernel to start
# (a bound on a stall, not a target: in CI the drill's learner shares the two cores with nbval)
MAX_SHOT_HEIGHT = 50_000  # pixels: a longer notebook is cut at the bottom of its screenshot


def missing() -> str | None:
    """What this machine lacks to run a learner in the browser, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium, or scripts/setup.sh --dev)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is missing (pip install -r requirements-dev.txt)"
    return None


# User settings, as the Settings Editor would write them (JUPYTERLAB_SETTINGS_DIR/<package>/<plugin>).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
# What `jupyter labextension disable PLUGIN` writes, in the temporary config dir.
PAGE_CONFIG = {"disabledExtensions": {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension:plugin": True,  # it would list packages from PyPI
}}

# The server's own configuration: files can be read but never written by the server, and the
# checkpoints JupyterLab makes go to the temporary folder.
REFUSED = "dockerlab-browser-test refused"
SERVER_CONFIG = """
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web


class ReadOnlyContents(AsyncLargeFileManager):
    def _refuse(self, what, path):
        self.log.error("@REFUSED@ %s of %s", what, path)
        raise web.HTTPError(403, "the browser test does not let JupyterLab %s %s" % (what, path))

    async def save(self, model, path=""):
        self._refuse("save", path)

    async def delete_file(self, path):
        self._refuse("delete", path)

    async def rename_file(self, old_path, new_path):
        self._refuse("rename", old_path)


c.ServerApp.contents_manager_class = ReadOnlyContents
c.FileCheckpoints.root_dir = @CHECKPOINTS@
"""

# One look at the notebook in the page: every code cell's input prompt ("[3]:", "[*]:", "[ ]:";
# empty while the input is hidden), the code cells whose input is hidden, the text of every
# error or stderr output, and anything that waits for the user (a dialog, an input() box).
CODE_CELLS = ".jp-NotebookPanel .jp-Notebook .jp-CodeCell"
READ_CELLS = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-CodeCell')];
  return {
    prompts: cells.map(c => (c.querySelector('.jp-InputPrompt')?.textContent ?? '').trim()),
    hidden: cells.flatMap((c, i) => c.querySelector('.jp-InputPlaceholder') ? [i] : []),
    errors: [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
      .filter(o => ['application/vnd.jupyter.stderr', 'application/vnd.jupyter.error']
                     .includes(o.dataset.mimeType))
      .map(o => o.innerText),
    waiting: [...document.querySelectorAll('.jp-Dialog, .jp-NotebookPanel .jp-Stdin')]
      .map(o => o.innerText),
  };
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """A JupyterLab server of the test's own, and its REST API."""

    def __init__(self, home: Path, root: Path) -> None:
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyterlab.log"
        env = dict(os.environ)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                    "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
            env[var] = str(home / var.lower())
            Path(env[var]).mkdir()
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_TOKEN", None)
        for name, values in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
        labconfig.mkdir()
        (labconfig / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        # FileCheckpoints puts a checkpoint of DIR/NAME in <root_dir>/DIR/.ipynb_checkpoints, and
        # falls back to the system's temporary folder if <root_dir>/DIR does not exist.
        checkpoints = home / "checkpoints"
        checkpoints.mkdir()
        for folder in root.iterdir():
            if folder.is_dir() and not folder.name.startswith("."):
                (checkpoints / folder.name).mkdir()
        (Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.py").write_text(
            SERVER_CONFIG.replace("@REFUSED@", REFUSED).replace("@CHECKPOINTS@", repr(str(checkpoints))))
        jupyter = Path(sys.prefix) / "bin" / "jupyter"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", "--port", str(self.port),
             "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}"]
            + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def refused_writes(self) -> list[str]:
        self.log.flush()
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if REFUSED in line]

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer in {STARTUP_TIMEOUT} s:\n{self.log_tail()}")

    def session_for(self, path: str) -> dict | None:
        return next((s for s in self.api("GET", "sessions") if s["path"] == path), None)

    def kernel_state(self, kernel_id: str) -> str:
        return self.api("GET", f"kernels/{kernel_id}")["execution_state"]

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.shut_down_kernels()
            except (urllib.error.URLError, OSError):
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()


def wait_for_kernel(lab: JupyterLab, path: str) -> str:
    """The id of the kernel of the notebook at `path`, once it exists and is idle."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        session = lab.session_for(path)
        if session and session.get("kernel") and lab.kernel_state(session["kernel"]["id"]) == "idle":
            return session["kernel"]["id"]
        time.sleep(0.3)
    raise AssertionError(f"no idle kernel for {path} after {STARTUP_TIMEOUT} s:\n{lab.log_tail()}")


def code_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def run_lesson(notebook: Path, root: Path, lab: JupyterLab, browser, screenshots: Path) -> None:
    """Run All of `notebook` (under `root`) in a fresh page; an AssertionError says what failed."""
    rel = notebook.relative_to(root).as_posix()
    sources = code_sources(notebook)
    shot = screenshots / f"{notebook.stem}.png"
    shot.unlink(missing_ok=True)
    refused_before = len(lab.refused_writes())
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(STARTUP_TIMEOUT * 1000)
    try:
        page.goto(f"{lab.url}/lab/tree/{rel}?reset&token={lab.token}")
        panel = page.locator(".jp-NotebookPanel").first
        panel.wait_for(state="visible")
        panel.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible")
        kernel_id = wait_for_kernel(lab, rel)
        cells = page.evaluate(READ_CELLS)
        assert len(cells["prompts"]) == len(sources), "the page shows other code cells than the file"
        # A hidden input hides its prompt too: show those inputs while the cells run (a click on
        # the collapser bar, as a learner does), and hide them again for the screenshot.
        hidden = cells["hidden"]
        toggle_inputs(page, hidden)
        # The server's kernel is idle; wait until the page's own connection to it is too (the
        # toolbar's execution indicator), or Run All may be dropped before the page can send it.
        panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(state="attached")
        # Edit > Clear Outputs of All Cells, so that no count or output from the file can pass for
        # one of this run; then Run > Run All Cells.
        menu(page, "Edit", "editmenu:clear-all")
        menu(page, "Run", "runmenu:run-all")

        cells = wait_until_run(page, lab, kernel_id, sources, rel)

        toggle_inputs(page, hidden)
        save_screenshot(page, panel, shot)
        assert not cells["errors"], f"{rel}: error output in the browser:\n" + "\n---\n".join(cells["errors"])
        unrun = [i for i, (p, s) in enumerate(zip(cells["prompts"], sources), 1)
                 if s.strip() and not p.strip("[]: ").isdigit()]
        assert not unrun, f"{rel}: code cells without an execution count: {unrun} ({cells['prompts']})"
        counts = [int(p.strip("[]: ")) for p, s in zip(cells["prompts"], sources) if s.strip()]
        assert counts == sorted(set(counts)), f"{rel}: cells ran out of order: {counts}"
    except BaseException:
        if not shot.exists():  # still one screenshot, of the page as the failure left it
            try:
                page.screenshot(path=shot)
            except Exception as error:  # the page may be gone
                print(f"no screenshot of {rel}: {error}")
        raise
    finally:
        context.close()
        try:  # shut the kernel down: nothing of this notebook keeps running
            session = lab.session_for(rel)
            if session:
                lab.api("DELETE", f"sessions/{session['id']}")
        except (urllib.error.URLError, OSError) as error:
            print(f"could not shut down the kernel of {rel}: {error}")
    assert shot.is_file()
    refused = lab.refused_writes()[refused_before:]
    assert not refused, f"{rel}: JupyterLab tried to write files (refused):\n" + "\n".join(refused)


def wait_until_run(page, lab: JupyterLab, kernel_id: str, sources: list[str], rel: str) -> dict:
    """The notebook as it is once the kernel is idle and no cell is queued; fails fast on a stall."""
    deadline = time.monotonic() + NOTEBOOK_TIMEOUT
    start_by = time.monotonic() + STARTUP_TIMEOUT
    settled = 0
    while True:
        cells = page.evaluate(READ_CELLS)
        assert not cells["waiting"], f"{rel}: the page waits for the user: {cells['waiting']}"
        state = lab.kernel_state(kernel_id)
        assert state != "dead", f"{rel}: the kernel died:\n{lab.log_tail()}"
        queued = any("*" in p for p in cells["prompts"])
        started = queued or any(p.strip("[]: ").isdigit() for p in cells["prompts"]) or state == "busy"
        assert started or time.monotonic() < start_by, \
            f"{rel}: Run All started no cell within {STARTUP_TIMEOUT} s: {cells['prompts']}"
        done = all(p.strip("[]: ").isdigit() for p, s in zip(cells["prompts"], sources) if s.strip())
        # Done, or stopped by an error (Run All skips what follows a failing cell). Three looks in
        # a row, so that a moment between two cells cannot pass for the end.
        settled = settled + 1 if state == "idle" and not queued and (done or cells["errors"]) else 0
        if settled >= 3:
            return cells
        assert time.monotonic() < deadline, f"{rel}: still running after {NOTEBOOK_TIMEOUT} s: {cells['prompts']}"
        time.sleep(0.5)


def menu(page, title: str, command: str) -> None:
    """Click `title` in the menu bar, then the item of `command` in that menu."""
    page.locator(".lm-MenuBar-item").filter(has_text=re.compile(f"^{title}$")).click()
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]')
    assert "lm-mod-disabled" not in (item.get_attribute("class") or ""), f"{title} > {command} is disabled"
    item.click()


def toggle_inputs(page, indices: list[int]) -> None:
    """Show or hide the input of these code cells (their collapser bar, left of the cell)."""
    cells = page.locator(CODE_CELLS)
    for index in indices:
        cells.nth(index).locator(".jp-Cell-inputCollapser").click()


def save_screenshot(page, panel, shot: Path) -> None:
    """The first plot of the notebook if it has one, else the whole notebook panel."""
    plot = panel.locator(".jp-RenderedImage:has(img)")
    if plot.count():
        plot.first.scroll_into_view_if_needed()
        plot.first.screenshot(path=shot)
        return
    # JupyterLab scrolls inside the panel: make the window as tall as the notebook, from its top.
    scroller = """document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')
                  ?? document.querySelector('.jp-NotebookPanel .jp-Notebook')"""
    measure = f"""() => {{
      const s = {scroller}, last = [...s.querySelectorAll('.jp-Cell')].pop();
      const end = last.getBoundingClientRect().bottom - s.getBoundingClientRect().top + s.scrollTop;
      return Math.ceil(end + window.innerHeight - s.clientHeight) + 40;  // without the space after it
    }}"""
    # The editors render only the lines in view and estimate the others, so the notebook grows
    # as the window does: make the window taller until the whole notebook fits in it.
    height = 900
    for _ in range(10):
        page.evaluate(f"() => {{ ({scroller}).scrollTop = 0; }}")
        page.wait_for_timeout(700)  # the editors measure their lines again
        wanted = min(page.evaluate(measure), MAX_SHOT_HEIGHT)
        if wanted <= height:
            break
        height = wanted
        page.set_viewport_size({"width": 1280, "height": height})
    panel.screenshot(path=shot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tests/jupyterlab_learner.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the learner's checkout: JupyterLab's root")
    parser.add_argument("shots", type=Path, help="folder for one screenshot per lesson")
    parser.add_argument("report", type=Path, help="JSON file: one record per lesson")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    lacking = missing()
    if lacking:
        print(f"learner in JupyterLab: {lacking}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    root = args.root.resolve()
    args.shots.mkdir(parents=True, exist_ok=True)
    records = []
    with tempfile.TemporaryDirectory(prefix="jupyterlab-learner-") as home:
        lab = JupyterLab(Path(home), root)
        try:
            lab.wait_until_ready()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                for notebook in args.notebooks:
                    print(f"jupyterlab: running {notebook.stem} ... ", end="", file=sys.stderr, flush=True)
                    start = time.perf_counter()
                    try:
                        run_lesson(notebook.resolve(), root, lab, browser, args.shots)
                        record = {"notebook": notebook.stem, "ok": True}
                    except Exception as failure:  # this lesson failed; the learner goes on to the next
                        record = {"notebook": notebook.stem, "ok": False,
                                  "error": f"{type(failure).__name__}: {failure}"}
                    record["seconds"] = round(time.perf_counter() - start, 1)
                    records.append(record)
                    args.report.write_text(json.dumps(records, indent=2) + "\n")
                    print("ok" if record["ok"] else "FAILED", f"({record['seconds']:.0f}s)", file=sys.stderr, flush=True)
                browser.close()
        finally:
            lab.stop()
    return 0 if all(r["ok"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
