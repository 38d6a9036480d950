"""Issue 20's three blockers, each checked against what ships: the environment the playbook writes
read by the built `cakap`, the engine build of scripts/build-artefacts and its CPU check, and CORS
through API Gateway's HTTP proxy (R-LLM-3, R-LLM-4, R-API-2, R-APP-6)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cfn_model import ANSIBLE, ROOT, resources, template
from worker_env import CAKAP, RunningWorker, cakap, render, worker_environment

AMPLIFY = "https://lks-main.d2x3y4.amplifyapp.com"

needs_cakap = pytest.mark.skipif(not Path(CAKAP).exists(), reason="build cakap first (swift build)")


def installed_worker(tmp_path: Path) -> tuple[dict[str, str], str]:
    """The playbook's layout under tmp_path: a release with bin/llama-server (a stand-in that only
    has to exist: no model is loaded), /var/lib/cakap and the EFS store; the rendered environment."""
    overrides = {"cakap_home": str(tmp_path / "opt/cakap"), "cakap_state_dir": str(tmp_path / "var/lib/cakap"),
                 "efs_mount_point": str(tmp_path / "share"), "cakap_allowed_origins": AMPLIFY}  # fmt: skip
    release = tmp_path / "opt/cakap/releases/0123456789abcdef"
    (release / "bin").mkdir(parents=True)
    engine = release / "bin" / "llama-server"
    engine.write_text("#!/bin/sh\nexit 1\n")
    engine.chmod(0o755)
    (tmp_path / "opt/cakap/current").symlink_to(release)
    (tmp_path / "var/lib/cakap").mkdir(parents=True)
    (tmp_path / "share/models").mkdir(parents=True)
    return worker_environment(overrides), str(tmp_path / "share/models")


@needs_cakap
def test_blocker_1_the_worker_supervises_the_engine_the_playbook_installs(tmp_path: Path) -> None:
    """worker.env's CAKAP_LLAMA_SERVER is the engine `cakap worker` uses: /health/ready is 200 with the
    bundle's llama-server and nothing under $CAKAP_HOME/engines (before the fix: 503, every worker)."""
    environment, models = installed_worker(tmp_path)
    assert environment["CAKAP_LLAMA_SERVER"] == str(tmp_path / "opt/cakap/current/bin/llama-server")
    worker = RunningWorker(environment, models, tmp_path / "worker.log")
    try:
        status, _, body = worker.get("/health/ready")
    finally:
        worker.stop()
    assert status == 200, body
    assert '"status":"ready"' in body.replace(" ", "")


@needs_cakap
def test_blocker_1_cakap_config_reports_the_playbooks_engine_path() -> None:
    """With the environment as the playbook writes it, `cakap config` names /opt/cakap/current/bin/llama-server."""
    environment = worker_environment()
    assert environment["CAKAP_LLAMA_SERVER"] == "/opt/cakap/current/bin/llama-server"
    result = cakap("config", environment=environment)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("CAKAP_LLAMA_SERVER"))
    assert "/opt/cakap/current/bin/llama-server" in line


def test_blocker_1_the_bundle_puts_llama_server_where_the_environment_points() -> None:
    """build-artefacts packs cakap-worker/bin/llama-server; the playbook strips that top directory into
    the release that `current` links to, so the path is {{ cakap_home }}/current/bin/llama-server."""
    script = (ROOT / "scripts" / "build-artefacts").read_text()
    assert 'BUNDLE="$STAGE/bundle/cakap-worker"' in script
    assert 'cp "$ENGINE/llama-server" "$BUNDLE/bin/"' in script
    playbook = (ANSIBLE / "worker.yml").read_text()
    assert '--strip-components=1' in playbook and 'dest: "{{ cakap_home }}/current"' in playbook
    assert "CAKAP_LLAMA_SERVER={{ cakap_home }}/current/bin/llama-server" in (ANSIBLE / "templates/worker.env.j2").read_text()


def test_blocker_2_the_shipped_engine_is_built_for_avx2_not_native() -> None:
    """The bundle's llama.cpp is its own build (GGML_NATIVE=OFF; AVX2, FMA, F16C on; no AVX-512), cached
    apart from the native engine of `cakap setup`, and every shipped library is checked before packing."""
    script = (ROOT / "scripts" / "build-artefacts").read_text()
    for flag in ("-DGGML_NATIVE=OFF", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_AVX512=OFF",
                 "-DGGML_CPU_ALL_VARIANTS=OFF", "-DGGML_AVX_VNNI=OFF"):  # fmt: skip
        assert flag in script, flag
    assert 'ENGINE="$PORTABLE/build/bin"' in script
    assert 'PORTABLE="$CAKAP_HOME/engines/llama.cpp-$VERSION-avx2-$PORTABLE_KEY"' in script
    assert 'scripts/check-cpu-baseline "$BUNDLE/bin/llama-server" "$BUNDLE"/lib/*.so*' in script
    assert script.index("check-cpu-baseline") < script.index("cakap-worker-bundle.tar.gz\" cakap-worker")


@pytest.mark.skipif(not shutil.which("gcc") or not shutil.which("objdump"), reason="needs gcc and objdump")
@pytest.mark.parametrize(
    ("flags", "runs_on_t2"),
    [
        (["-mavx2", "-mfma", "-mf16c"], True),
        (["-mavx512f"], False),  # zmm registers, as -march=native gives on an AVX-512 host
        (["-mavx512f", "-mavx512vl", "-mprefer-vector-width=256"], False),  # EVEX on xmm/ymm only
    ],
)
def test_blocker_2_the_cpu_check_refuses_avx512_code(tmp_path: Path, flags: list[str], runs_on_t2: bool) -> None:
    """scripts/check-cpu-baseline passes AVX2 code and refuses AVX-512 at any vector length."""
    source = tmp_path / "kernel.c"
    source.write_text("void axpy(float *restrict y, const float *restrict x, int n)"
                      " { for (int i = 0; i < n; i++) y[i] = y[i] * 3.0f + x[i]; }\n")  # fmt: skip
    library = tmp_path / "libkernel.so"
    subprocess.run(["gcc", "-O3", "-shared", "-fPIC", *flags, "-o", str(library), str(source)], check=True)
    check = subprocess.run([str(ROOT / "scripts" / "check-cpu-baseline"), str(library)], capture_output=True, text=True)
    assert (check.returncode == 0) == runs_on_t2, check.stderr
    if not runs_on_t2:
        assert "instructions a t2 (AVX2) CPU cannot run" in check.stderr


def test_blocker_3_the_region_proxy_is_an_http_proxy_so_the_worker_must_send_cors() -> None:
    """/{region}/{proxy+} GET/POST are HTTP_PROXY (no integration response the gateway could add headers
    to), OPTIONS is the gateway's mock preflight, and the worker's environment configures its origins."""
    api = template("us-east-1/api.yaml")
    methods = resources(api, "AWS::ApiGateway::Method")
    for zone in ("ZoneA", "ZoneB"):
        for verb in ("Get", "Post"):
            integration = methods[f"{zone}{verb}Method"]["Properties"]["Integration"]
            assert integration["Type"] == "HTTP_PROXY"
            assert "IntegrationResponses" not in integration
        preflight = methods[f"{zone}OptionsMethod"]["Properties"]
        assert preflight["AuthorizationType"] == "NONE" and preflight["Integration"]["Type"] == "MOCK"
    assert "CAKAP_CORS_ORIGINS={{ cakap_allowed_origins }}" in (ANSIBLE / "templates/worker.env.j2").read_text()
    assert "CAKAP_CORS_ORIGINS" in render("worker.env.j2")


@needs_cakap
def test_blocker_3_the_worker_answers_the_web_apps_origin_with_cors_headers(tmp_path: Path) -> None:
    """`cakap worker` with the playbook's environment sends Access-Control-Allow-Origin for the
    configured origin on /api/tags and on errors, and none for another origin."""
    environment, models = installed_worker(tmp_path)
    worker = RunningWorker(environment, models, tmp_path / "worker.log")
    try:
        status, headers, body = worker.get("/api/tags", {"Origin": AMPLIFY})
        missing, missing_headers, _ = worker.get("/api/show-me", {"Origin": AMPLIFY})
        _, other_headers, _ = worker.get("/api/tags", {"Origin": "https://evil.example"})
    finally:
        worker.stop()
    assert status == 200 and '"models"' in body
    assert headers.get("access-control-allow-origin") == AMPLIFY
    assert missing == 404 and missing_headers.get("access-control-allow-origin") == AMPLIFY
    assert "access-control-allow-origin" not in {key.lower() for key in other_headers}
