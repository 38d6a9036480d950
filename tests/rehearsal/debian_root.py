"""The Debian root that stands for a worker instance (R-LLM-3): debootstrap's bookworm, cached
under $CAKAP_HOME/chroots keyed by its package list, so a warm run copies it instead of
downloading it.

Real workers run Ubuntu 24.04, but only Debian's mirrors are reachable from this machine (Ubuntu's
are not), so bookworm stands in: the same apt, dpkg, systemd unit layout and Python the
AWS-ApplyAnsiblePlaybooks document relies on. The document installs Ansible with apt
(InstallDependencies=True); the root does the same with Debian's ansible-core.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from artefacts import locked

CAKAP_HOME = Path(os.environ.get("CAKAP_HOME", Path.home() / ".cache" / "cakap"))
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# What an Ubuntu AMI plus the document's InstallDependencies step give the playbook: Python with
# apt bindings, Ansible, sudo (become), and the packages the playbook's apt task asks for
# (nfs-common, ca-certificates), present so the task finds them installed without a network.
# python3-cffi-backend is named because debootstrap does not resolve the virtual package
# python3-cryptography (under ansible-core) depends on.
PACKAGES = ["python3", "python3-apt", "python3-cffi-backend", "ansible-core", "sudo", "nfs-common", "ca-certificates", "procps"]


def root_key() -> str:
    """The cache key: suite, mirror and package list."""
    text = "\n".join([SUITE, MIRROR, *PACKAGES])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cached_root() -> Path:
    """The pristine root (built once; never modified: instances get copies)."""
    with locked("root"):
        return _cached_root()


def _cached_root() -> Path:
    root = CAKAP_HOME / "chroots" / f"{SUITE}-worker-{root_key()}"
    if (root / ".complete").exists():
        return root
    staging = root.with_name(root.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(staging), MIRROR]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"debootstrap failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    # Instances update apt's lists when they boot (through the NAT); this root does it once here so
    # the playbook's `update_cache` with `cache_valid_time` finds a fresh cache offline.
    subprocess.run(["chroot", str(staging), "apt-get", "update", "-qq"], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    (root / ".complete").touch()
    return root


def instance_root(destination: Path) -> Path:
    """A fresh copy of the cached root for one instance (cp --reflink where the disk allows)."""
    source = cached_root()
    subprocess.run(["cp", "-a", "--reflink=auto", str(source), str(destination)], check=True)
    return destination


if __name__ == "__main__":
    print(cached_root())
