"""Where the evaluation data of ../shared/data is on this machine (jfleg-dev and the rest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """`CAKAP_SHARED_DATA`, the checkout's sibling `shared/data`, or /work/shared/data; a test that
    needs the data fails (never skips) when none holds jfleg-dev."""
    for candidate in (os.environ.get("CAKAP_SHARED_DATA"), REPOSITORY.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate and (Path(candidate) / "jfleg-dev" / "dev.src").is_file():
            return Path(candidate)
    pytest.fail("the evaluation data (../shared/data/jfleg-dev) is not on this machine", pytrace=False)
