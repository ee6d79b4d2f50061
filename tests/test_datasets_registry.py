"""The registry, the cache folder, --list-datasets, and choosing between --data and a named set."""

import os
import threading
import tracemalloc
from pathlib import Path

import pytest

import microgpt_tui.datasets as datasets
from microgpt_tui.datasets import (
    KNOWN_DATASETS,
    DatasetError,
    cache_dir,
    describe_datasets,
    list_datasets,
    load_named,
    resolve_dataset,
)

from conftest import expect_names_file

FAKE = b"emma\nolivia\n"


# cache_folder (a fresh MICROGPT_TUI_CACHE folder) and dead_port come from conftest.py


@pytest.fixture
def offline(monkeypatch, dead_port):
    """Point the names URL at a refused port, so any download attempt fails loudly."""
    monkeypatch.setenv("MICROGPT_TUI_NAMES_URL", f"http://127.0.0.1:{dead_port}/names.txt")


@pytest.fixture
def cached_fake_names(cache_folder, monkeypatch):
    """A small stand-in for names.txt, already in the cache with a matching checksum."""
    known = expect_names_file(monkeypatch, FAKE, doc_count=2)
    cache_folder.mkdir()
    (cache_folder / "names.txt").write_bytes(FAKE)
    return known


def test_public_api():
    expected = {
        "DatasetError", "Dataset", "load_file", "load_named", "resolve_dataset",
        "KNOWN_DATASETS", "describe_datasets", "cache_dir",
    }
    assert expected <= set(datasets.__all__)
    assert all(hasattr(datasets, name) for name in datasets.__all__)
    assert issubclass(DatasetError, Exception)


def test_names_is_pinned():
    names = KNOWN_DATASETS["names"]
    assert names.url == "https://raw.githubusercontent.com/karpathy/makemore/988aa59/names.txt"
    assert names.sha256 == "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
    assert names.doc_count == 32_033
    assert names.size == 228_145


def test_cache_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROGPT_TUI_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"


def test_cache_dir_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("MICROGPT_TUI_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "microgpt-tui"


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_cache_dir_home_default(monkeypatch, tmp_path, xdg):
    monkeypatch.delenv("MICROGPT_TUI_CACHE", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)  # empty or relative: ignored, per the XDG spec
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "microgpt-tui"


def test_listing_before_download(cache_folder):
    [row] = list_datasets()
    assert row.known.name == "names"
    assert row.cached is False
    text = describe_datasets()
    assert "names" in text
    assert "32,033 docs" in text
    assert "228 kB" in text
    assert "not downloaded" in text
    assert str(cache_folder) in text


def test_listing_after_download(cached_fake_names, cache_folder):
    [row] = list_datasets()
    assert row.cached is True
    assert row.path == cache_folder / "names.txt"
    text = describe_datasets()
    assert ", cached" in text
    assert "not downloaded" not in text


def test_listing_does_not_count_a_damaged_file_as_cached(cache_folder):
    cache_folder.mkdir()
    (cache_folder / "names.txt").write_bytes(b"emma\n")
    assert list_datasets()[0].cached is False


def test_a_fifo_in_the_cache_is_neither_read_nor_counted(cache_folder):
    # Opening it to read would wait for a writer that never comes.
    cache_folder.mkdir()
    os.mkfifo(cache_folder / "names.txt")
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(rows=list_datasets()), daemon=True)
    worker.start()
    worker.join(timeout=10)  # only stops a hang
    if worker.is_alive():
        os.close(os.open(cache_folder / "names.txt", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("list_datasets() waited on a FIFO in the cache")
    assert outcome["rows"][0].cached is False


def test_a_cache_file_larger_than_registered_is_not_read(cache_folder, monkeypatch):
    known = expect_names_file(monkeypatch, FAKE, doc_count=2)
    cache_folder.mkdir()
    with open(cache_folder / "names.txt", "wb") as f:
        f.truncate(2 * 1024**3)
    tracemalloc.start()
    try:
        rows = list_datasets()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows[0].known == known
    assert rows[0].cached is False
    assert peak < 5_000_000  # reading it would have needed 2 GB


def test_unknown_name_lists_known_ones(cache_folder):
    with pytest.raises(DatasetError) as info:
        load_named("shakespeare")
    message = str(info.value)
    assert "\n" not in message
    assert "'shakespeare'" in message
    assert "names" in message


def test_resolve_prefers_data(tmp_path, cache_folder, offline):
    path = tmp_path / "pets.txt"
    path.write_text("rex\nfido\n")
    dataset = resolve_dataset(data=str(path), name="shakespeare")  # name is ignored
    assert dataset.docs == ("rex", "fido")
    assert dataset.name == "pets.txt"
    assert not cache_folder.exists()


def test_resolve_defaults_to_names_from_cache(cached_fake_names, cache_folder, offline):
    dataset = resolve_dataset()
    assert dataset.name == "names"
    assert dataset.docs == ("emma", "olivia")
    assert dataset.source == cache_folder / "names.txt"
    assert dataset.description == "names · 2 docs"


def test_resolve_by_name(cached_fake_names, offline):
    assert resolve_dataset(name="names").docs == ("emma", "olivia")


def test_resolve_download_failure_is_a_dataset_error(cache_folder, offline):
    with pytest.raises(DatasetError) as info:
        resolve_dataset()
    assert "--data PATH" in str(info.value)
    assert not cache_folder.exists() or list(Path(cache_folder).iterdir()) == []
