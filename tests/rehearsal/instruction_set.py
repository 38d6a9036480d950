"""Finds AVX-512 instructions in a program or library (R-LLM-3: workers are t2 instances, whose
Xeons stop at AVX2; an AVX-512 instruction there is SIGILL on the first inference).

objdump's AT&T listing names what only EVEX encoding (AVX-512) can express: the 512-bit zmm
registers, the opmask registers k0-k7 and `{%kN}` masking, xmm16-31 / ymm16-31, embedded
broadcasts `{1toN}`, and mnemonics that exist only in AVX-512 (on any vector length).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

EVEX_ONLY = re.compile(
    r"%zmm\d+|%k[0-7]\b|\{%k[1-7]\}|%[xy]mm(?:1[6-9]|2\d|3[01])\b|\{1to\d+\}"
    r"|\b(?:vpternlog[dq]|vperm[it]2\w+|vextract[if](?:32x[48]|64x[24])|vinsert[if](?:32x[48]|64x[24])"
    r"|vshuf[if](?:32x4|64x2)|valign[dq]|vpro[lr]v?[dq]|vrndscale\w+|vscalef\w+|vcompress\w+|vexpand\w+"
    r"|vpconflict[dq]|vplzcnt[dq]|vpdpbusds?|vpmov[dq][bwd]|vpmovu?s[dq][bwd]|vpmov[bwdq]2m|vpmovm2[bwdq]"
    r"|kmov[bwdq]|kand\w*|kor\w*|kxor\w*|kshift\w+|ktest\w+|kortest\w+)\b"
)


def evex_instructions(binary: Path, limit: int = 5) -> tuple[int, list[str]]:
    """How many AVX-512 instructions `binary` has, and the first `limit` of them (address: text)."""
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "--no-addresses", str(binary)],
        capture_output=True, text=True, check=True,
    ).stdout
    found = [line.strip() for line in listing.splitlines() if line.startswith("\t") and EVEX_ONLY.search(line)]
    return len(found), found[:limit]


def engine_files(release: Path) -> list[Path]:
    """llama-server and every shared library beside it in an unpacked worker bundle."""
    files = [release / "bin" / "llama-server"]
    files += sorted(path for path in (release / "lib").iterdir() if path.is_file() and not path.is_symlink())
    return files
