"""The deployment's artefacts, built by scripts/build-artefacts exactly as `cakap aws deploy`
builds them, and cached under $CAKAP_HOME/rehearsal keyed by everything they are made from (the
sources, the playbook, the web app, the build scripts and the engines they pack), so a warm run
reuses them and any change rebuilds them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CAKAP_HOME = Path(os.environ.get("CAKAP_HOME", Path.home() / ".cache" / "cakap"))
INPUTS = ["Package.swift", "Sources", "infra/ansible", "web", "scripts/build-artefacts", "scripts/build-lambda",
          "scripts/package-lambda", "scripts/lib.sh"]  # fmt: skip


def content_key() -> str:
    """A digest of the tracked (and modified) input files, and of the engines' programs."""
    digest = hashlib.sha256()
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", *INPUTS], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    for name in sorted(listed):
        path = REPO / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    engines = CAKAP_HOME / "engines"
    for program in sorted(engines.glob("*/build/bin/*")) + sorted(engines.glob("*/build*/bin/*")):
        if program.is_file():
            stat = program.stat()
            digest.update(f"{program}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def built_artefacts() -> Path:
    """The folder holding playbook.zip, conversations-lambda.zip, tutor-lambda.zip and web.zip
    ($CAKAP_REHEARSAL_ARTEFACTS instead, when set: artefacts already built, e.g. by `cakap aws deploy`)."""
    given = os.environ.get("CAKAP_REHEARSAL_ARTEFACTS")
    if given:
        return Path(given)
    folder = CAKAP_HOME / "rehearsal" / f"artefacts-{content_key()}"
    if (folder / ".complete").exists():
        return folder
    for old in folder.parent.glob("artefacts-*"):
        shutil.rmtree(old, ignore_errors=True)
    folder.mkdir(parents=True)
    # build-artefacts needs the RDS CA bundle (issue 19) and this machine cannot download AWS's:
    # a stand-in CA, unless the caller gives a bundle (the rehearsal's functions use no TLS).
    env = {**os.environ, "CAKAP_RDS_CA_BUNDLE": os.environ.get("CAKAP_RDS_CA_BUNDLE") or str(stand_in_ca_bundle())}
    result = subprocess.run([str(REPO / "scripts/build-artefacts"), str(folder)], cwd=REPO, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"scripts/build-artefacts failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    (folder / ".complete").touch()
    return folder


def stand_in_ca_bundle() -> Path:
    """A self-signed CA in PEM (made once under $CAKAP_HOME/rehearsal), standing for AWS's RDS bundle."""
    path = CAKAP_HOME / "rehearsal" / "stand-in-rds-ca.pem"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = path.with_suffix(".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                        "-out", str(path), "-days", "3650", "-subj", "/CN=cakap rehearsal stand-in RDS CA"],
                       check=True, capture_output=True)  # fmt: skip
        key.unlink()
    return path


def unpacked_bundle(artefacts: Path, destination: Path) -> Path:
    """The worker bundle inside playbook.zip (files/cakap-worker-bundle.tar.gz), unpacked."""
    with zipfile.ZipFile(artefacts / "playbook.zip") as archive:
        archive.extract("files/cakap-worker-bundle.tar.gz", destination)
    with tarfile.open(destination / "files/cakap-worker-bundle.tar.gz") as bundle:
        bundle.extractall(destination, filter="tar")
    return destination / "cakap-worker"
