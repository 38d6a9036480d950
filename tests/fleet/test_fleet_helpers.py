"""The fleet tests' own pure helpers, proven without a fleet (Prometheus text, `/targets`, JWT
tampering, JWK → PEM, RS256 verification, the port plan and test ordering)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from cakap_testing.fleet_os import choose_base_port, fleet_port_plan, port_is_free, proc_info
from cakap_testing.fleet_wire import (
    b64url_decode,
    b64url_encode,
    encode_segment,
    hs256_confused,
    jwk_to_pem,
    jwt_parts,
    parse_prometheus,
    requests_by_route,
    rs256_valid,
    tamper_payload,
    target_states,
    unsigned,
    with_header,
)

METRICS = """\
# HELP cakap_worker_requests_total HTTP requests by route and status
# TYPE cakap_worker_requests_total counter
cakap_worker_requests_total{route="/api/chat",status="200"} 3
cakap_worker_requests_total{status="499",route="/api/chat"} 1
cakap_worker_requests_total{route="/api/chat/x",status="200"} 7
cakap_worker_requests_total{route="/health/ready",status="200"} 120
cakap_worker_model_load_seconds_bucket{le="+Inf"} 2
cakap_worker_queue_depth 0.0
odd{label="a \\"quoted\\" value, with comma"} 1e3 1700000000000
"""


def test_prometheus_samples_and_route_counts():
    samples = parse_prometheus(METRICS)
    assert len(samples) == 7
    assert requests_by_route(METRICS, "/api/chat") == 4
    assert requests_by_route(METRICS, "/api/generate") == 0
    assert ("odd", {"label": 'a "quoted" value, with comma'}, 1000.0) in samples
    with pytest.raises(ValueError):
        parse_prometheus("not a sample line at all\n")


def test_target_states_reads_both_shapes():
    listed = {"chat": [{"url": "http://127.0.0.1:1/", "zone": "a", "healthy": True, "outstanding": 2}]}
    keyed = {"pools": {"chat": {"http://127.0.0.1:1": {"healthy": False, "outstanding": 0}}}}
    assert target_states(listed)[("chat", "http://127.0.0.1:1")]["outstanding"] == 2
    assert target_states(keyed)[("chat", "http://127.0.0.1:1")]["healthy"] is False
    named = [{"name": "llm", "targets": [{"url": "http://127.0.0.1:2", "healthy": True}]}]
    assert set(target_states(named)) == {("llm", "http://127.0.0.1:2")}


def _token(header: dict, payload: dict, signature: bytes = b"sig") -> str:
    return ".".join((encode_segment(header), encode_segment(payload), b64url_encode(signature)))


def test_jwt_manipulations():
    token = _token({"alg": "RS256", "kid": "k1"}, {"sub": "u", "email": "learner@example.com", "token_use": "id"})
    tampered = tamper_payload(token)
    assert tampered != token and tampered.split(".")[0] == token.split(".")[0]
    assert tampered.split(".")[2] == token.split(".")[2]
    assert sum(a != b for a, b in zip(tampered, token)) == 1
    header, payload, signature = jwt_parts(with_header(token, kid="other", typ=None))
    assert header == {"alg": "RS256", "kid": "other"} and payload["sub"] == "u" and signature == b"sig"
    bare = unsigned(token)
    assert bare.endswith(".") and jwt_parts(bare)[0]["alg"] == "none"
    assert b64url_decode(b64url_encode(b"\xff\xfe")) == b"\xff\xfe"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rsa") / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True, capture_output=True, timeout=60)
    return path


def _jwk_of(key: Path) -> dict:
    text = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-noout", "-modulus"], check=True, capture_output=True, text=True
    ).stdout
    modulus = int(text.strip().split("=", 1)[1], 16)
    return {"kty": "RSA", "n": b64url_encode(modulus.to_bytes((modulus.bit_length() + 7) // 8, "big")), "e": "AQAB"}


def test_jwk_to_pem_is_the_same_public_key(rsa_key, tmp_path):
    expected = subprocess.run(
        ["openssl", "rsa", "-in", str(rsa_key), "-pubout"], check=True, capture_output=True, timeout=30
    ).stdout
    assert jwk_to_pem(_jwk_of(rsa_key)) == expected


def test_rs256_verification(rsa_key, tmp_path):
    signing_input = encode_segment({"alg": "RS256", "kid": "k"}) + "." + encode_segment({"sub": "u"})
    (tmp_path / "input").write_text(signing_input)
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(rsa_key), str(tmp_path / "input")],
        check=True, capture_output=True, timeout=30,
    ).stdout  # fmt: skip
    token = signing_input + "." + b64url_encode(signature)
    jwk = _jwk_of(rsa_key)
    assert rs256_valid(token, jwk)
    assert not rs256_valid(tamper_payload(token), jwk)
    assert not rs256_valid(hs256_confused(token, jwk_to_pem(jwk)), jwk)


def test_port_plan_keeps_default_offsets_and_is_free():
    plan = fleet_port_plan(11500, 12, 2)
    assert plan["workers"][0] == 11500 and plan["balancers"] == [11600, 11601] and plan["admin"] == [11700, 11701]
    base = choose_base_port(12, 2, random.Random(7))
    assert all(port_is_free(port) for ports in fleet_port_plan(base, 12, 2).values() for port in ports)
    assert proc_info(1) is not None and proc_info(2**22 + 1) is None


def test_destructive_fleet_tests_are_ordered_last(request):
    """The collection hook orders the fleet tests by their module's FLEET_PHASE (failover 1,
    shutdown 2), so the tests that kill processes never run before the ones that only look."""
    here = Path(__file__).resolve().parent
    phases = [
        getattr(item.module, "FLEET_PHASE", 0) for item in request.session.items if here in Path(str(item.path)).parents
    ]
    assert phases == sorted(phases), phases
