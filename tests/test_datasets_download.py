"""First-run download of a named set, against a local HTTP server (never the internet)."""

import http.server
import os
import socket
import threading

import pytest

import microgpt_tui.datasets.download as download_module
from microgpt_tui.datasets import DatasetError, load_named

from conftest import expect_names_file

FAKE = b"emma\nolivia\n\n  ava \r\nisabella\n"
FAKE_DOCS = ("emma", "olivia", "ava", "isabella")


class Server:
    """A tiny HTTP server on 127.0.0.1 whose routes say how each path misbehaves."""

    def __init__(self):
        self.requests = []
        self.routes = {
            "/names.txt": ("ok", FAKE),
            "/wrong.txt": ("ok", FAKE.replace(b"emma", b"emmy")),
            "/short.txt": ("short", FAKE),
            "/big.txt": ("ok", FAKE * 10),
            "/trickle.txt": ("trickle", FAKE),
        }
        self.closing = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                kind, body = server.routes.get(self.path, ("missing", b""))
                if kind == "missing":
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "trickle":
                    self.trickle(body)
                elif kind == "short":
                    # Promise the whole body, send half, then hang up.
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self.wfile.write(body)

            def trickle(self, body):
                """One byte every 0.2 s, each well inside any read timeout: 7 s for FAKE."""
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        if server.closing.wait(0.2):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown, and so each test's teardown, fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path):
        host, port = self.httpd.server_address
        return f"http://{host}:{port}{path}"

    def close(self):
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


# cache_folder (a fresh MICROGPT_TUI_CACHE folder) and dead_port come from conftest.py


@pytest.fixture
def fake_names(monkeypatch):
    """Make the registry expect FAKE instead of the real 228 KB names.txt."""
    return expect_names_file(monkeypatch, FAKE, doc_count=len(FAKE_DOCS))


def use_url(monkeypatch, url):
    monkeypatch.setenv("MICROGPT_TUI_NAMES_URL", url)


def assert_cache_empty(folder):
    """No partial file, no temporary file: nothing at all."""
    leftovers = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert leftovers == []


def load_error(**kwargs) -> str:
    with pytest.raises(DatasetError) as info:
        load_named("names", show_progress=False, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert "--data PATH" in message
    return message


def download_error(monkeypatch, url) -> str:
    """Download from `url`, which must fail, and return the one-line message, which names `url`."""
    use_url(monkeypatch, url)
    message = load_error()
    assert url in message
    return message


def test_good_download_caches_the_file(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/names.txt"))
    dataset = load_named("names", show_progress=False)
    assert (cache_folder / "names.txt").read_bytes() == FAKE
    assert sorted(p.name for p in cache_folder.iterdir()) == ["names.txt"]
    assert dataset.docs == FAKE_DOCS
    assert dataset.name == "names"
    assert dataset.source == cache_folder / "names.txt"
    assert dataset.sha256 == fake_names.sha256
    assert server.requests == ["/names.txt"]


def test_cache_hit_makes_no_request(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/names.txt"))
    first = load_named("names", show_progress=False)
    second = load_named("names", show_progress=False)
    assert server.requests == ["/names.txt"]
    assert second.docs == first.docs


def test_cache_hit_works_with_the_network_gone(server, cache_folder, fake_names, monkeypatch, dead_port):
    use_url(monkeypatch, server.url("/names.txt"))
    load_named("names", show_progress=False)
    use_url(monkeypatch, f"http://127.0.0.1:{dead_port}/names.txt")
    assert load_named("names", show_progress=False).docs == FAKE_DOCS


def test_damaged_cache_file_is_downloaded_again(server, cache_folder, fake_names, monkeypatch):
    cache_folder.mkdir()
    (cache_folder / "names.txt").write_bytes(b"emma\n")  # e.g. edited or truncated since
    use_url(monkeypatch, server.url("/names.txt"))
    dataset = load_named("names", show_progress=False)
    assert server.requests == ["/names.txt"]
    assert (cache_folder / "names.txt").read_bytes() == FAKE
    assert dataset.docs == FAKE_DOCS


def test_checksum_mismatch(server, cache_folder, fake_names, monkeypatch):
    message = download_error(monkeypatch, server.url("/wrong.txt"))
    assert "checksum" in message
    assert_cache_empty(cache_folder)


def test_body_cut_short(server, cache_folder, fake_names, monkeypatch):
    message = download_error(monkeypatch, server.url("/short.txt"))
    assert "cut short" in message
    assert f"of {len(FAKE):,} bytes" in message
    assert_cache_empty(cache_folder)


def test_body_larger_than_the_registered_file(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/big.txt"))
    assert "larger than" in load_error()
    assert_cache_empty(cache_folder)


def test_http_404(server, cache_folder, fake_names, monkeypatch):
    message = download_error(monkeypatch, server.url("/nowhere.txt"))
    assert "404" in message
    assert_cache_empty(cache_folder)


def test_connection_refused(cache_folder, fake_names, monkeypatch, dead_port):
    message = download_error(monkeypatch, f"http://127.0.0.1:{dead_port}/names.txt")
    assert "refused" in message.lower()
    assert_cache_empty(cache_folder)


def test_server_that_never_answers_times_out(cache_folder, fake_names, monkeypatch):
    monkeypatch.setattr(download_module, "TIMEOUT", 0.2)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the connection in the kernel but never replies
    try:
        message = download_error(monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}/names.txt")
    finally:
        silent.close()
    assert "0.2 seconds" in message
    assert_cache_empty(cache_folder)


def test_malformed_override_address(cache_folder, fake_names, monkeypatch):
    download_error(monkeypatch, "names-mirror.example/names.txt")
    assert_cache_empty(cache_folder)


def test_file_url_override(tmp_path, cache_folder, fake_names, monkeypatch):
    copy = tmp_path / "mirror" / "names.txt"
    copy.parent.mkdir()
    copy.write_bytes(FAKE)
    use_url(monkeypatch, copy.as_uri())
    assert load_named("names", show_progress=False).docs == FAKE_DOCS
    assert (cache_folder / "names.txt").read_bytes() == FAKE


def test_interrupt_while_saving_leaves_no_temp_file(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/names.txt"))

    def interrupted(src, dst):
        assert os.path.exists(src)  # the temporary file really was there to clean up
        raise KeyboardInterrupt

    monkeypatch.setattr(download_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_named("names", show_progress=False)
    assert_cache_empty(cache_folder)


def test_disk_error_while_saving_is_a_dataset_error(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/names.txt"))

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(download_module.os, "fsync", disk_full)
    with pytest.raises(DatasetError) as info:
        load_named("names", show_progress=False)
    assert "No space left on device" in str(info.value)
    assert "\n" not in str(info.value)
    assert_cache_empty(cache_folder)


def test_unwritable_cache_folder(server, tmp_path, fake_names, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MICROGPT_TUI_CACHE", str(blocker / "cache"))
    use_url(monkeypatch, server.url("/names.txt"))
    with pytest.raises(DatasetError) as info:
        load_named("names", show_progress=False)
    assert "MICROGPT_TUI_CACHE" in str(info.value)
    assert "\n" not in str(info.value)


def test_no_progress_bar_when_stderr_is_a_pipe(server, cache_folder, fake_names, monkeypatch, capsys):
    use_url(monkeypatch, server.url("/names.txt"))
    load_named("names")  # show_progress=None: decided from stderr, which capsys makes a non-tty
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_progress_bar_on_request(server, cache_folder, fake_names, monkeypatch, capsys):
    use_url(monkeypatch, server.url("/names.txt"))
    load_named("names", show_progress=True)
    captured = capsys.readouterr()
    assert "downloading names" in captured.err
    assert captured.out == ""


# --- the whole download has a deadline, not only each read ---------------------------


def test_trickling_server_is_cut_off_at_the_deadline(server, cache_folder, fake_names, monkeypatch):
    use_url(monkeypatch, server.url("/trickle.txt"))
    with pytest.raises(DatasetError) as info:
        download_module.download(
            fake_names, cache_folder / "names.txt", show_progress=False, deadline=0.5
        )
    message = str(info.value)
    assert "\n" not in message
    assert "not finished within 0.5 seconds" in message
    assert server.url("/trickle.txt") in message
    assert_cache_empty(cache_folder)


def test_first_run_uses_the_deadline(server, cache_folder, fake_names, monkeypatch):
    monkeypatch.setattr(download_module, "DEADLINE", 0.5)
    use_url(monkeypatch, server.url("/trickle.txt"))
    assert "not finished within 0.5 seconds" in load_error()
    assert_cache_empty(cache_folder)


def test_silent_server_is_held_to_the_deadline_not_the_read_timeout(
    cache_folder, fake_names, monkeypatch
):
    assert download_module.TIMEOUT >= 20  # left as it is: the deadline must cut each wait short
    monkeypatch.setattr(download_module, "DEADLINE", 0.3)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the connection in the kernel but never replies
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/names.txt"
        message = download_error(monkeypatch, url)
    finally:
        silent.close()
    assert "not finished within 0.3 seconds" in message
    assert_cache_empty(cache_folder)


def test_a_slow_but_timely_download_completes(server, cache_folder, fake_names, monkeypatch):
    # The same trickle inside a deadline that allows it: read1 gathers every byte.
    monkeypatch.setattr(download_module, "DEADLINE", 30)
    server.routes["/trickle.txt"] = ("trickle", FAKE[:6])  # "emma\no": about 1.2 s
    expect = expect_names_file(monkeypatch, FAKE[:6], doc_count=2)
    use_url(monkeypatch, server.url("/trickle.txt"))
    dataset = load_named("names", show_progress=False)
    assert dataset.docs == ("emma", "o")
    assert (cache_folder / "names.txt").read_bytes() == FAKE[:6]
    assert dataset.sha256 == expect.sha256
