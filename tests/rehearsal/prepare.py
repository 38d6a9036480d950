"""Builds what the rehearsal runs, into its caches under $CAKAP_HOME, and says how long each took:
the deployment's artefacts (scripts/build-artefacts, keyed by content) and the Debian root that
stands for an instance (debootstrap, keyed by its package list). Both are no-ops when cached.

scripts/test starts this in the background at the lowest CPU priority right after the Lambda step,
so a new machine's builds (the AVX2 llama.cpp, the release `cakap`, debootstrap) overlap the other
tiers, and the rehearsal tier only waits for what is left (docs/deploy.md, "Rehearsal").

    python tests/rehearsal/prepare.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import artefacts  # noqa: E402
import debian_root  # noqa: E402


def main() -> int:
    for name, build in (("deployment artefacts", artefacts.built_artefacts), ("instance root", debian_root.cached_root)):
        started = time.monotonic()
        try:
            where = build()
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            print(f"{name}: FAILED after {time.monotonic() - started:.0f} s\n{error}", flush=True)
            return 1
        print(f"{name}: {where} ({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
