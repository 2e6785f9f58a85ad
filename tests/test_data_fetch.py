"""`srlib data fetch` / `data check` against a local HTTP server (127.0.0.1; nothing reaches the internet).

The server serves a small tree copied into ``tmp_path`` from the shared data (Set5: HR and its LR
references, 25 files), with switches for the failures a real network produces: a transfer cut in
the middle, a stall longer than the timeout, a 404.
"""
from __future__ import annotations

import csv
import http.server
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from srlib.cli import main
from srlib.data.fetch import SOURCES_FILE, Source, check, fetch, read_sources, select_sources
from srlib.errors import DataFetchError


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET with Range support; ``server.cut`` paths send half the bytes once, ``server.stall`` sleep."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        file = srv.base / self.path.lstrip("/")
        if not file.is_file():
            self.send_error(404, "Not Found")
            return
        if self.path in srv.stall:
            time.sleep(srv.stall[self.path])
        data = file.read_bytes()
        start = 0
        m = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if m and srv.ranges:
            start = int(m.group(1))
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in srv.cut:
            srv.cut.discard(self.path)
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def server(tmp_path, data_root):
    """``(server, sources)``: Set5 served from a copy in tmp_path, sources pointing at it."""
    base = tmp_path / "served"
    sources = []
    for src in select_sources(read_sources(), ["Set5"]):
        target = base / src.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_root / src.path, target)
        sources.append(src)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.base, srv.requests, srv.cut, srv.stall, srv.ranges = base, [], set(), {}, True
    url = f"http://127.0.0.1:{srv.server_address[1]}/"
    local = [Source(s.path, url + s.path, s.sha256, s.bytes) for s in sources]
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv, local
    srv.shutdown()
    srv.server_close()


def _fetch(root, sources, **kw):
    kw = {"timeout": 5.0, "retries": 2, "backoff": 0.0, "progress": False, **kw}
    return fetch(root, sources, **kw)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_manifest_pins_every_shared_file_at_a_commit(data_root):
    with open(data_root / "MANIFEST.tsv", newline="") as fh:
        shared = {r["path"]: r for r in csv.DictReader(fh, delimiter="\t")}
    ours = read_sources()
    assert len(ours) == len(shared) == 572
    for s in ours:
        row = shared[s.path]
        assert (s.sha256, s.bytes) == (row["sha256"], int(row["bytes"]))
        assert re.fullmatch(rf"https://raw\.githubusercontent\.com/{re.escape(row['source_repo'])}/[0-9a-f]{{40}}/\S+",
                            s.url), s.url
        assert row["commit"] in s.url
    assert SOURCES_FILE.parent.name == "data"  # shipped inside the package


def test_fetch_downloads_and_verifies_everything(server, tmp_path):
    srv, sources = server
    root = tmp_path / "root"
    report = _fetch(root, sources)
    assert len(report.downloaded) == len(sources) == 25 and not report.present
    assert _files(root) == sorted(s.path for s in sources)  # no .part left behind
    assert check(root, sources) == []
    n_requests = len(srv.requests)
    again = _fetch(root, sources)  # a second run downloads nothing
    assert len(again.present) == 25 and not again.downloaded and len(srv.requests) == n_requests


def test_fetch_replaces_a_file_that_differs(server, tmp_path):
    _, sources = server
    root = tmp_path / "root"
    _fetch(root, sources)
    victim = root / sources[0].path
    victim.write_bytes(b"x" * sources[0].bytes)  # same size, wrong content
    assert [p.state for p in check(root, sources)] == ["sha256"]
    report = _fetch(root, sources)
    assert report.replaced == [sources[0].path] and check(root, sources) == []


def test_wrong_hash_is_refused_and_leaves_nothing(server, tmp_path):
    _, sources = server
    bad = Source(sources[0].path, sources[0].url, "0" * 64, sources[0].bytes)
    root = tmp_path / "root"
    with pytest.raises(DataFetchError, match="sha256") as err:
        _fetch(root, [bad])
    assert sources[0].url in str(err.value) and "by hand" in str(err.value)
    assert _files(root) == []  # neither the file nor a .part


def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    srv, sources = server
    big = max(sources, key=lambda s: s.bytes)
    path = "/" + big.path
    srv.cut.add(path)
    root = tmp_path / "root"
    _fetch(root, [big])
    ranges = [r for p, r in srv.requests if p == path]
    assert ranges[0] is None and ranges[1] == f"bytes={big.bytes // 2}-"  # the second request resumed
    assert check(root, [big]) == [] and _files(root) == [big.path]


def test_a_part_file_from_an_earlier_run_is_resumed(server, tmp_path):
    srv, sources = server
    src = max(sources, key=lambda s: s.bytes)
    root = tmp_path / "root"
    part = root / (src.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes((srv.base / src.path).read_bytes()[:1000])
    _fetch(root, [src])
    assert srv.requests == [("/" + src.path, "bytes=1000-")]
    assert check(root, [src]) == [] and not part.exists()


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    srv, sources = server
    srv.ranges = False
    src = sources[0]
    root = tmp_path / "root"
    part = root / (src.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage")
    _fetch(root, [src])
    assert check(root, [src]) == []


def test_404_names_what_is_missing_and_how_to_place_it(server, tmp_path):
    _, sources = server
    gone = Source("benchmark/Set5/HR/nothere.png", sources[0].url.rsplit("/", 1)[0] + "/nothere.png", "0" * 64, 10)
    root = tmp_path / "root"
    with pytest.raises(DataFetchError) as err:
        _fetch(root, [sources[0], gone, sources[1]])
    message = str(err.value)
    assert "HTTP 404" in message and gone.url in message and "benchmark/Set5 (2)" in message
    assert "by hand" in message and "data check" in message
    assert _files(root) == [sources[0].path]  # what was verified stays; nothing half-written


def test_timeout_is_retried_then_reported(server, tmp_path):
    srv, sources = server
    src = sources[0]
    srv.stall["/" + src.path] = 3.0
    root = tmp_path / "root"
    t0 = time.perf_counter()
    with pytest.raises(DataFetchError, match="timed out|TimeoutError") as err:
        _fetch(root, [src], timeout=0.3, retries=1)
    assert time.perf_counter() - t0 < 2.5
    assert "2 attempts" in str(err.value)
    assert [p for p, _ in srv.requests].count("/" + src.path) == 2
    assert not (root / src.path).exists()


def test_offline_is_one_clear_error(tmp_path, capsys):
    # A port nobody listens on: connection refused, as offline.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = Source("benchmark/Set5/HR/baby.png", f"http://127.0.0.1:{port}/baby.png", "0" * 64, 10)
    with pytest.raises(DataFetchError) as err:
        _fetch(tmp_path, [src], retries=0)
    assert "Refused" in str(err.value) or "refused" in str(err.value)
    assert src.url in str(err.value) and "benchmark/Set5 (1)" in str(err.value)


def test_cli_check_passes_on_the_shared_data_and_fails_on_an_empty_root(data_root, tmp_path, capsys):
    # sha256 of Set5 and Set14 (hashing all 230 MiB takes ~15 s on a busy CI machine); sizes of all
    assert main(["data", "check", "--data-dir", str(data_root), "--datasets", "Set5", "Set14", "--quiet"]) == 0
    assert main(["data", "check", "--data-dir", str(data_root), "--quick"]) == 0
    assert "572 files present with the right size" in capsys.readouterr().out
    assert main(["data", "check", "--data-dir", str(tmp_path), "--datasets", "Set5", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "25 of 25 files" in err and "baby.png (missing)" in err and "data fetch" in err


def test_cli_fetch_offline_is_one_line(tmp_path, capsys, monkeypatch):
    import srlib.data.fetch as f
    monkeypatch.setattr(f, "read_sources", lambda *a: [Source("train/T91/t1.bmp", "http://127.0.0.1:9/t1.bmp",
                                                             "0" * 64, 10)])
    assert main(["data", "fetch", "--data-dir", str(tmp_path), "--retries", "0", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("srlib data: error: cannot download train/T91/t1.bmp")
    assert "Traceback" not in err and not any(tmp_path.rglob("*.bmp"))


def test_cli_fetch_then_check_from_the_local_server(server, tmp_path, monkeypatch, capsys):
    import srlib.data.fetch as f
    _, sources = server
    monkeypatch.setattr(f, "read_sources", lambda *a: list(sources))
    root = tmp_path / "root"
    assert main(["data", "fetch", "--data-dir", str(root), "--quiet"]) == 0
    assert f"data root {root}: 25 files verified (25 downloaded, 0 already present)" in capsys.readouterr().out
    assert main(["data", "check", "--data-dir", str(root)]) == 0
    assert "all 25 files present and verified" in capsys.readouterr().out
    (root / sources[3].path).write_bytes(b"")  # a file emptied by accident
    assert main(["data", "check", "--data-dir", str(root), "--quiet"]) == 1
    assert f"{sources[3].path} (size: 0 bytes" in capsys.readouterr().err
