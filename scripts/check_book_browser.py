#!/usr/bin/env python3
"""Open every page of the built book in headless Chromium and fail on what a reader would see.

    python scripts/check_book_browser.py [--html _build/html] [--out _build/screenshots]
                                         [--width 1280] [--chromium /usr/bin/chromium]

For each page of ``_toc.yml`` (and the landing page) the script loads the built HTML from a
local HTTP server into a 1280-pixel-wide headless Chromium and fails (exit code 1) on

* a console error, an uncaught exception or a resource that failed to load;
* an image that did not load (``naturalWidth == 0``);
* an empty table (no cell with text);
* a table or figure wider than the text column (a reader would have to scroll sideways);
* an output or code block wider than its box (``scrollWidth > clientWidth``: its long lines are
  clipped or scroll in a grey box), or a text clipped by an ``overflow: hidden`` box;
* a figure shown so much narrower than its natural width that its text falls under 9 CSS px: a
  matplotlib figure's default 10 pt text is ``10 / 72 * 100`` px at the 100 dpi of its PNG, so
  it renders at ``13.9 * shown width / natural width`` px (the project's own check, at save time,
  is ``srlib.book.figure_checks``: smaller fonts, overlapping and clipped labels, legends over data);
* text on top of other text (headings, paragraphs, captions, table cells of the page overlapping);
* a visible Python traceback.

It saves a full-page screenshot of every page as ``<out>/<page path>.png`` and a JSON report
``<out>/report.json``. Chromium is driven over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file descriptors 3 and 4),
so nothing beyond the standard library and Debian's ``chromium`` package is needed
(``apt-get install -y chromium`` when it is missing; ``--install`` does that).
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                  "--remote-debugging-pipe"]

#: A figure's default text (matplotlib: 10 pt at 100 dpi, in CSS px at its natural size) and the
#: smallest size a reader should have to read.
FIGURE_TEXT_PX = 10 / 72 * 100
MIN_TEXT_PX = 9.0

#: Run in each page once it has loaded; returns what a reader would see as broken.
PAGE_CHECK_JS = (Path(__file__).resolve().parent / "page_check.js").read_text()


class Chromium:
    """A headless Chromium driven over the DevTools protocol on a pipe."""

    def __init__(self, executable: str, user_data_dir: str):
        self._r_child, self._w_parent = os.pipe()  # we write commands -> chromium reads on fd 3
        self._r_parent, self._w_child = os.pipe()  # chromium writes on fd 4 -> we read
        self.proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=self._dup_fds)
        os.close(self._r_child)
        os.close(self._w_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _dup_fds(self) -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
        r, w = os.dup(self._r_child), os.dup(self._w_child)
        os.dup2(r, 3)
        os.dup2(w, 4)

    def _read_message(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._r_parent], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                chunk = os.read(self._r_parent, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed the DevTools pipe (exit code {self.proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._w_parent, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            event = self._read_message(deadline - time.monotonic())
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)
        raise TimeoutError(f"{method} not received within {timeout} s")

    def drain(self, seconds: float) -> None:
        """Collect events for ``seconds`` (late console messages, images loading)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._read_message(max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                return

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for fd in (self._w_parent, self._r_parent):
            try:
                os.close(fd)
            except OSError:
                pass


def book_pages(html: Path, toc: Path = REPO_ROOT / "_toc.yml") -> list[str]:
    """The built pages of the book's table of contents (paths relative to ``html``), landing page first."""
    pages = ["index.html"] if (html / "index.html").is_file() else []
    if toc.is_file():
        pages += [f"{m}.html" for m in re.findall(r"(?:file|root): (\S+)", toc.read_text())]
    else:
        pages += sorted(str(p.relative_to(html)) for p in html.rglob("*.html") if "_static" not in p.parts)
    return list(dict.fromkeys(pages))


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the report readable
        pass


def check_page(browser: Chromium, url: str, screenshot: Path, width: int) -> dict:
    """Load ``url`` in a fresh tab, check it, save a full-page screenshot; the findings as a dict."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired", session, timeout=60)
    browser.drain(0.5)
    script = PAGE_CHECK_JS.replace("FIGURE_TEXT_PX, MIN_TEXT_PX)", f"{FIGURE_TEXT_PX}, {MIN_TEXT_PX})")
    found = json.loads(browser.send("Runtime.evaluate", {"expression": script, "returnByValue": True},
                                    session=session)["result"]["value"])
    console = []
    for event in browser.events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            console.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            if str(entry.get("url", "")).endswith("/favicon.ico"):
                continue  # asked for by the browser itself, not by the page
            console.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
    found["console_errors"] = console
    height = min(int(found.get("height") or 900), 20000)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    browser.send("Target.closeTarget", {"targetId": target})
    return found


PROBLEMS = {"console_errors": "console error", "missing_images": "missing image", "empty_tables": "empty table",
            "too_wide": "wider than the text column", "clipped": "clipped or scrolling box",
            "small_text": "figure text under 9 px", "overlapping": "overlapping text", "tracebacks": "visible traceback"}


def find_chromium(explicit: str | None, install: bool) -> str:
    for candidate in ([explicit] if explicit else []) + ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(candidate) if candidate else None
        if path:
            return path
    if install:
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        path = shutil.which("chromium")
        if path:
            return path
    raise SystemExit("check_book_browser: no chromium found; install Debian's package (apt-get install -y chromium) "
                     "or pass --install")


def run(html: Path, out: Path, width: int = 1280, chromium: str | None = None, install: bool = False,
        pages: list[str] | None = None) -> dict[str, dict]:
    """Check ``pages`` (default: :func:`book_pages`) of the site in ``html``; ``{page: findings}``."""
    executable = find_chromium(chromium, install)
    pages = pages or book_pages(html)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = Chromium(executable, profile)  # before the server's thread: the child is forked from one thread
        server, base = serve(html)
        try:
            for page in pages:
                if not (html / page).is_file():
                    results[page] = {"console_errors": [f"{page} was not built"]}
                    continue
                shot = out / (page[:-len(".html")] + ".png")
                t0 = time.monotonic()
                results[page] = check_page(browser, base + page, shot, width)
                results[page]["seconds"] = round(time.monotonic() - t0, 2)
                results[page]["screenshot"] = str(shot)
        finally:
            browser.close()
            server.shutdown()
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(results, indent=2))
    return results


#: Reported but not failing unless --strict (CI passes --strict: the built book has none of them).
REPORT_ONLY = ("clipped", "small_text", "overlapping")


def failures(results: dict[str, dict], kinds=tuple(PROBLEMS)) -> list[str]:
    lines = []
    for page, found in results.items():
        for key, what in PROBLEMS.items():
            if key not in kinds:
                continue
            for item in found.get(key, []):
                lines.append(f"{page}: {what}: {item}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=REPO_ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "_build" / "screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--chromium", default=None, help="the browser's executable (default: chromium on PATH)")
    parser.add_argument("--install", action="store_true", help="apt-get install chromium when it is missing")
    parser.add_argument("--strict", action="store_true",
                        help=f"fail on every kind of problem, also {', '.join(REPORT_ONLY)} (reported only by default)")
    parser.add_argument("pages", nargs="*", help="pages relative to --html (default: every page of _toc.yml)")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"check_book_browser: {args.html}/index.html not found: build the book first (make book)",
              file=sys.stderr)
        return 2
    results = run(args.html, args.out, args.width, args.chromium, args.install, args.pages or None)
    failing = tuple(k for k in PROBLEMS if args.strict or k not in REPORT_ONLY)
    problems = failures(results, failing)
    notes = failures(results, tuple(k for k in PROBLEMS if k not in failing))
    for page, found in results.items():
        status = "ok" if not any(found.get(k) for k in failing) else "FAIL"
        print(f"{status:4} {page} ({found.get('seconds', 0)} s, column {found.get('column_px', '?')} px)")
    for line in problems:
        print(f"  {line}")
    for line in notes:
        print(f"  (reported only; --strict fails) {line}")
    print(f"{len(results)} pages, {len(problems)} problems, {len(notes)} reported only; "
          f"screenshots and report.json in {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
