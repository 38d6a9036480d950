"""`cakap eval partner` (issue 17, R-APP-1) on a sample of the learner dialogues with the real
worker and smollm2:135m: the replies a learner reads leak no template token, stay under 50 words,
ask at most one question, stay English, never claim the learner's identity."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO_ROOT, cakap_bin


def test_the_partner_on_three_dialogues_meets_the_targets(worker_factory, tmp_path):
    worker = worker_factory()
    report = tmp_path / "partner.md"
    result = subprocess.run(
        [str(cakap_bin()), "eval", "partner", "--llm", worker.url, "--limit", "3", "--check",
         "--dialogues", str(REPO_ROOT / "tests" / "support" / "partner-dialogues.json"), "--report", str(report)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = report.read_text()
    assert text.count("> **Learner:**") >= 12, text  # 3 dialogues of 4+ turns, every transcript printed
    replies = re.findall(r"^> \*\*Cakap:\*\* (.+?)(?: _\([\d.]+ s\)_)?$", text, re.M)
    assert len(replies) >= 12
    for reply in replies:
        assert len(reply.split()) <= 50 and reply.count("?") <= 1, reply
        assert "<|" not in reply and "User:" not in reply, reply
    assert re.search(r"\| template or role tokens leaked \| 0 \| \d+ \| 0 \|", text), text
