"""`cakap eval gec` (issue 5) on jfleg-dev with the real Harper: our GLEU and the Harper-only
corrector reproduce the reference figures of ../shared/data/README.md (unchanged source 0.382,
Harper only 0.440), within the spread of the random reference draws."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    for candidate in (os.environ.get("CAKAP_SHARED_DATA"), REPOSITORY.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate and (Path(candidate) / "jfleg-dev" / "dev.src").is_file():
            return Path(candidate)
    pytest.fail("the evaluation data (../shared/data/jfleg-dev) is not on this machine", pytrace=False)


def test_gleu_of_unchanged_and_harper_only_match_the_reference_figures(tmp_path) -> None:
    jfleg = shared_data() / "jfleg-dev"
    binary = os.environ.get("CAKAP_BIN") or str(REPOSITORY / ".build" / "debug" / "cakap")
    report = tmp_path / "gec.md"
    result = subprocess.run(
        [binary, "eval", "gec", "--src", str(jfleg / "dev.src"), "--refs",
         *[str(jfleg / f"dev.ref{i}") for i in range(4)], "--report", str(report)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = report.read_text()
    scores = {name: float(score) for name, score in re.findall(r"^\| (.+?) \| (0\.\d+) \|$", text, re.M)}
    assert abs(scores["unchanged source"] - 0.382) <= 0.003, scores
    harper = next(score for name, score in scores.items() if name.startswith("Harper only"))
    assert abs(harper - 0.440) <= 0.003, scores
    assert "| Spelling |" in text and "754 sentences, 4 references" in text
    assert "| spelling | " in text and "| verb_form | " in text  # findings per category (issue 5)
