"""The deployment's artefacts, built by scripts/build-artefacts exactly as `cakap aws deploy`
builds them, and cached under $CAKAP_HOME/rehearsal keyed by everything they are made from (the
sources, the playbook, the web app, the build scripts and the engines they pack), so a warm run
reuses them and any change rebuilds them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CAKAP_HOME = Path(os.environ.get("CAKAP_HOME", Path.home() / ".cache" / "cakap"))
KEPT_BUILDS = 2
INPUTS = ["Package.swift", "Sources", "infra/ansible", "web", "scripts/build-artefacts", "scripts/build-lambda",
          "scripts/package-lambda", "scripts/lib.sh"]  # fmt: skip


def rds_ca_bundle() -> Path:
    """The PEM the Lambda zips carry as global-bundle.pem (scripts/build-artefacts reads
    $CAKAP_RDS_CA_BUNDLE, else downloads AWS's truststore, which this machine cannot reach): the one
    given, else a throw-away CA made once under $CAKAP_HOME/rehearsal (certificate only, no key).
    The rehearsal's database speaks no TLS with it; only its place in the zips is rehearsed."""
    given = os.environ.get("CAKAP_RDS_CA_BUNDLE")
    if given:
        return Path(given)
    folder = CAKAP_HOME / "rehearsal"
    bundle = folder / "rds-ca-bundle.pem"
    if not bundle.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        key = folder / "rds-ca-key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=Cakap rehearsal RDS CA", "-keyout", str(key), "-out", f"{bundle}.part"],
                       check=True, capture_output=True)
        key.unlink()
        Path(f"{bundle}.part").rename(bundle)
    return bundle


def content_key() -> str:
    """A digest of the tracked (and modified) input files, the RDS CA bundle, and the setup's engine versions."""
    digest = hashlib.sha256()
    digest.update(rds_ca_bundle().read_bytes())
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", *INPUTS], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    for name in sorted(listed):
        path = REPO / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    # The engines `cakap setup` installed, by name (their versions). Not the portable llama.cpp
    # that scripts/build-artefacts builds itself (`-avx2-<flags>`, fully keyed by the inputs above):
    # on a new machine it appears during the background build, and hashing it there made the
    # rehearsal tier rebuild everything once more (seen in issue 15's cold run).
    engines = CAKAP_HOME / "engines"
    for folder in sorted(engines.glob("llama.cpp-*")):
        if folder.is_dir() and "-avx2-" not in folder.name:
            digest.update(folder.name.encode() + b"\0")
    return digest.hexdigest()[:16]


@contextmanager
def locked(name: str) -> Iterator[None]:
    """One builder at a time per cache (scripts/test's background build, a rehearsal, other checkouts)."""
    folder = CAKAP_HOME / "rehearsal"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def built_artefacts() -> Path:
    """The folder holding playbook.zip, conversations-lambda.zip, tutor-lambda.zip and web.zip
    ($CAKAP_REHEARSAL_ARTEFACTS instead, when set: artefacts already built, e.g. by `cakap aws deploy`).
    The build's output, with the time of each step, stays in build.log beside them."""
    given = os.environ.get("CAKAP_REHEARSAL_ARTEFACTS")
    if given:
        return Path(given)
    with locked("artefacts"):
        return _build_artefacts()


def _build_artefacts() -> Path:
    folder = CAKAP_HOME / "rehearsal" / f"artefacts-{content_key()}"
    if (folder / ".complete").exists():
        return folder
    # Several checkouts may share CAKAP_HOME: keep the newest few other builds, never the one in use.
    others = sorted(folder.parent.glob("artefacts-*"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in others if path != folder][KEPT_BUILDS:]:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    environment = {**os.environ, "CAKAP_RDS_CA_BUNDLE": str(rds_ca_bundle())}
    log = folder / "build.log"
    with log.open("w") as output:
        result = subprocess.run([str(REPO / "scripts/build-artefacts"), str(folder)], cwd=REPO, stdout=output,
                                stderr=subprocess.STDOUT, env=environment)
    if result.returncode != 0:
        text = log.read_text(errors="replace")
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"scripts/build-artefacts failed (exit {result.returncode}):\n{text[-4000:]}")
    (folder / ".complete").touch()
    return folder


def unpacked_bundle(artefacts: Path, destination: Path) -> Path:
    """The worker bundle inside playbook.zip (files/cakap-worker-bundle.tar.gz), unpacked."""
    with zipfile.ZipFile(artefacts / "playbook.zip") as archive:
        archive.extract("files/cakap-worker-bundle.tar.gz", destination)
    with tarfile.open(destination / "files/cakap-worker-bundle.tar.gz") as bundle:
        bundle.extractall(destination, filter="tar")
    return destination / "cakap-worker"
