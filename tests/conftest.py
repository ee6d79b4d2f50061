"""Fixtures shared by every test module."""

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NAMES_TXT = SHARED / "datasets" / "names.txt"
GOLDEN_JSON = SHARED / "reference" / "golden.json"


@pytest.fixture(scope="session")
def names_path() -> Path:
    """The reference names.txt beside the repo; tests that need it skip on a user's machine."""
    if not NAMES_TXT.is_file():
        pytest.skip("../shared/datasets/names.txt is not beside the repo")
    return NAMES_TXT


@pytest.fixture(scope="session")
def golden() -> dict:
    if not GOLDEN_JSON.is_file():
        pytest.skip("../shared/reference/golden.json is not beside the repo")
    return json.loads(GOLDEN_JSON.read_text())
