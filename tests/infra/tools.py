"""Runs the linters of tests/infra offline (no update checks, no downloads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cfn_model import ROOT


def executable(name: str) -> str:
    """The tool installed beside this Python (the test venv) or, failing that, on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: pip install -r tests/infra/requirements.txt")
    return found


def run(name: str, *arguments: str, cwd: Path = ROOT, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.update(
        # checkov: no version check, no guideline download, no platform mapping.
        CKV_SKIP_PACKAGE_UPDATE_CHECK="true",
        BC_SKIP_MAPPING="TRUE",
        # ansible-lint finds ansible-playbook beside itself.
        PATH=f"{Path(executable(name)).parent}{os.pathsep}{environment.get('PATH', '')}",
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    return subprocess.run(
        [executable(name), *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
