"""Where the evaluation data of ../shared/data is on this machine (jfleg-dev and the rest)."""

from __future__ import annotations

import os
import subprocess
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


def eval_gec_on_jfleg(tmp_path: Path, *options: str, timeout: int = 300) -> str:
    """`cakap eval gec` on jfleg-dev with its four references and `options`; its markdown report.
    A failed run fails the test with the program's error output."""
    jfleg = shared_data() / "jfleg-dev"
    binary = os.environ.get("CAKAP_BIN") or str(REPOSITORY / ".build" / "debug" / "cakap")
    report = tmp_path / "gec.md"
    result = subprocess.run(
        [binary, "eval", "gec", "--src", str(jfleg / "dev.src"), "--refs",
         *[str(jfleg / f"dev.ref{i}") for i in range(4)], "--report", str(report), *options],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return report.read_text()
