"""Run a throw-away JupyterLab server and drive notebooks in it with Playwright.

`JupyterLab` starts ``jupyter lab`` on 127.0.0.1 (free port, random token) in a
temporary copy of a notebooks directory, with its own settings, workspaces,
runtime and config directories.  `LabPage` wraps a Playwright page with the few
actions a notebook test needs: open, run all, wait, click a widget, read outputs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# User settings written into the private settings dir before the server starts.
LAB_SETTINGS = {
    # Render every cell (no virtual scrolling), so all prompts/outputs are in the DOM.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No news / update toasts on top of the notebook (the network is closed anyway).
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# True when the current notebook's kernel is connected and idle.  (The toolbar's
# `.jp-Notebook-ExecutionIndicator[data-status="idle"]` is NOT enough: it says
# 'idle' before the kernel is attached, and a 'Run All' then silently does nothing.)
KERNEL_READY = """() => {
  const k = window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server in its own process group, serving a temp dir."""

    def __init__(self, base: Path, notebooks: Path | None = None, pythonpath=()):
        self.base = Path(base)
        self.root_dir = self.base / "notebooks"
        if notebooks is not None and Path(notebooks).is_dir():
            shutil.copytree(notebooks, self.root_dir)
        else:
            self.root_dir.mkdir(parents=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "jupyter-lab.log"
        self.pythonpath = [str(p) for p in pythonpath]
        self.proc: subprocess.Popen | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self, timeout: float = 90) -> "JupyterLab":
        """Start the server and wait until ``/api/status`` answers."""
        settings = self.base / "user-settings"
        for plugin, values in LAB_SETTINGS.items():
            pkg, name = plugin.rsplit("/", 1)
            path = settings / pkg / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # would break the inline backend in the kernel
        env.update(
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            IPYTHONDIR=str(self.base / "ipython"),
            PYTHONPATH=os.pathsep.join(
                self.pythonpath + [p for p in [env.get("PYTHONPATH")] if p]
            ),
        )
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--allow-root",  # CI runs as root
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.base / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for commands
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}\n{self.log()}")
            try:
                self.api("GET", "/api/status")
                return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"jupyter lab did not answer within {timeout}s\n{self.log()}")

    def stop(self) -> None:
        """Shut kernels down, then terminate (and if needed kill) the process group."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.shutdown_kernels()
        except OSError:
            pass
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- REST helpers --------------------------------------------------------
    def api(self, method: str, path: str):
        """Call the server's REST API; return the decoded JSON (or None)."""
        req = urllib.request.Request(
            self.url + path, method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete all sessions (and so their kernels) and any leftover kernels."""
        for s in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{s['id']}")
        for k in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{k['id']}")

    def log(self, tail: int = 6000) -> str:
        """The last `tail` characters of the server's log."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return "<no log>"

    def notebook_url(self, name: str) -> str:
        """URL that opens `name` (relative to root_dir) in a fresh workspace."""
        return f"{self.url}/lab/tree/{urllib.parse.quote(name)}?reset&token={self.token}"


def cell_has_source(text: str) -> str:
    """A CSS/Playwright selector for a notebook cell whose source contains `text`."""
    return f".jp-Notebook .jp-Cell:has(.jp-InputArea-editor:has-text({json.dumps(text)}))"


class LabPage:
    """A Playwright page showing one notebook in JupyterLab."""

    def __init__(self, page, lab: JupyterLab):
        self.page = page
        self.lab = lab

    # -- navigation & kernel -------------------------------------------------
    def open(self, name: str, timeout: float = 60_000) -> "LabPage":
        """Open notebook `name`, accept a 'Select Kernel' dialog if any, wait for idle."""
        self.page.goto(self.lab.notebook_url(name))
        self.page.wait_for_function(
            f"() => !!document.querySelector('.jp-Dialog') || ({KERNEL_READY})()",
            timeout=timeout, polling=100,
        )
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() and "Kernel" in dialog.inner_text():
            dialog.locator("button.jp-mod-accept").click()  # keep the proposed kernel
        self.wait_kernel_idle(timeout)
        return self

    def wait_kernel_idle(self, timeout: float = 60_000) -> None:
        """Wait until the notebook's kernel is connected and idle (see KERNEL_READY)."""
        self.page.wait_for_function(KERNEL_READY, timeout=timeout, polling=100)

    def command(self, command_id: str, args: dict | None = None):
        """Execute a JupyterLab command (e.g. 'notebook:save') and wait for it."""
        return self.page.evaluate(
            "([id, args]) => window.jupyterapp.commands.execute(id, args).then(() => null)",
            [command_id, args or {}],
        )

    # -- running ---------------------------------------------------------------
    def run_all(self) -> None:
        """Start 'Run All Cells' without waiting for it (see `wait_run_done`)."""
        self.page.evaluate(
            "() => { window.__runAllDone = false;"
            " window.jupyterapp.commands.execute('notebook:run-all-cells')"
            "   .finally(() => { window.__runAllDone = true; }); }"
        )

    def wait_run_done(self, timeout: float = 120_000, check_errors: bool = True) -> None:
        """Wait until 'Run All' finished and the kernel is idle; check every cell ran.

        Raises AssertionError with 'ename: evalue' of failing cells (if
        `check_errors`) or when a non-empty code cell was not executed.
        """
        self.page.wait_for_function(
            "() => window.__runAllDone === true && ![...document.querySelectorAll("
            "'.jp-Notebook .jp-InputPrompt')].some(p => p.textContent.includes('*'))",
            timeout=timeout, polling=200,
        )
        self.wait_kernel_idle(timeout)
        errors = self.errors()
        if check_errors and errors:
            raise AssertionError("notebook cells raised:\n" + "\n\n".join(errors))
        not_run = self.page.evaluate(
            """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .map((c, i) => [c.model, i])
                 .filter(([m]) => m.type === 'code' && m.sharedModel.getSource().trim()
                                  && m.executionCount == null)
                 .map(([, i]) => i)"""
        )
        if not_run and not errors:
            raise AssertionError(f"cells {not_run} were not executed by 'Run All'")

    def run_all_and_wait(self, timeout: float = 120_000) -> None:
        """Run all cells and wait until they are finished (fail on cell errors)."""
        self.run_all()
        self.wait_run_done(timeout)

    def errors(self) -> list[str]:
        """'ename: evalue' of every error output in the notebook model."""
        return self.page.evaluate(
            """() => {
              const nb = window.jupyterapp.shell.currentWidget.content;
              const out = [];
              for (const cell of nb.widgets) {
                const outputs = cell.model.outputs;
                for (let i = 0; outputs && i < outputs.length; i++) {
                  const o = outputs.get(i).toJSON();
                  if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
                }
              }
              return out;
            }"""
        )

    # -- cells & outputs -------------------------------------------------------
    def cell(self, key: int | str):
        """Locator of a cell by index or by a piece of its source text."""
        if isinstance(key, int):
            return self.page.locator(".jp-Notebook .jp-Cell").nth(key)
        return self.page.locator(cell_has_source(key)).first

    def output_text(self, key: int | str) -> str:
        """Visible text of a cell's whole output area."""
        return self.cell(key).locator(".jp-Cell-outputArea").inner_text()

    def widget_output_text(self, key: int | str) -> str:
        """Text of the (first) ipywidgets Output widget in a cell."""
        return self.cell(key).locator(".widget-output").first.inner_text()

    def image_srcs(self, key: int | str) -> list[str]:
        """`src` of every <img> in a cell's output area (data: URLs for plots)."""
        return self.cell(key).locator(".jp-Cell-outputArea img").evaluate_all(
            "imgs => imgs.map(i => i.src)"
        )

    def watch_images(self, key: int | str) -> None:
        """Start recording every distinct image `src` shown in the cell's outputs.

        Uses a MutationObserver in the page, so no frame of a fast live plot is
        missed; read the record with `watched_images`.
        """
        self.cell(key).evaluate(
            """cell => {
              cell.__srcs = [];
              const record = () => {
                for (const img of cell.querySelectorAll('.jp-OutputArea img'))
                  if (!cell.__srcs.includes(img.src)) cell.__srcs.push(img.src);
              };
              record();
              new MutationObserver(record).observe(cell, {
                subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
            }"""
        )

    def watched_images(self, key: int | str) -> list[str]:
        """Distinct image `src`s seen since `watch_images` (in order)."""
        return self.cell(key).evaluate("cell => cell.__srcs || []")

    # -- widgets ---------------------------------------------------------------
    def widget(self, description: str):
        """Locator of the ipywidgets widget whose description label is `description`."""
        label = re.compile(rf"^\s*{re.escape(description)}\s*$")
        return self.page.locator(".jp-Cell-outputArea .lm-Widget:has(> .widget-label)").filter(
            has=self.page.locator(":scope > .widget-label").filter(has_text=label)
        ).first

    def click_toggle(self, description: str, option: str) -> None:
        """Click button `option` of the ToggleButtons widget `description`."""
        self.widget(description).get_by_role("button", name=option, exact=True).click()

    def select(self, description: str, option: str) -> None:
        """Choose `option` in the Dropdown widget `description`."""
        self.widget(description).locator("select").select_option(label=option)

    def screenshot(self, directory: Path, name: str) -> Path:
        """Save a full-page screenshot and return its path."""
        path = Path(directory) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
