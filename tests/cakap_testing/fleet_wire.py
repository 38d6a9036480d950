"""Pure helpers for the fleet tests: Prometheus text, the balancer's `/targets`, JWTs and RS256.

No networking and no processes here, so tests/fleet/test_fleet_helpers.py proves them without a
fleet. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

# --- Prometheus text exposition ----------------------------------------------

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def parse_prometheus(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Returns (metric name, labels, value) for every sample line; raises ValueError on a bad line."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = _SAMPLE.match(line.strip())
        if not match:
            raise ValueError(f"not a Prometheus sample: {line!r}")
        labels = {}
        raw = match.group("labels") or ""
        position = 0
        while position < len(raw):
            label = _LABEL.match(raw, position)
            if not label or label.end() == position:
                raise ValueError(f"bad labels in {line!r}")
            labels[label.group(1)] = label.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
            position = label.end()
        samples.append((match.group("name"), labels, float(match.group("value"))))
    return samples


def requests_by_route(text: str, route: str, metric: str = "cakap_worker_requests_total") -> float:
    """A worker's request count for one route, summed over every status (0 before the first one)."""
    return sum(
        value for name, labels, value in parse_prometheus(text) if name == metric and labels.get("route") == route
    )


# --- the balancer's admin `/targets` ------------------------------------------


def target_states(document: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Maps (pool, target url) to its state (`healthy`, `outstanding`, ...).

    The contract says "per pool, per target url, healthy, outstanding"; both readings are accepted:
    `{"chat": [{"url": ..., "healthy": ...}]}` and `{"chat": {"<url>": {"healthy": ...}}}`, optionally
    wrapped in `{"pools": ...}`.
    """
    if isinstance(document, dict) and isinstance(document.get("pools"), (dict, list)):
        document = document["pools"]
    if isinstance(document, list):  # [{"name": "chat", "targets": [...]}]
        document = {entry["name"]: entry.get("targets", []) for entry in document}
    if not isinstance(document, dict):
        raise ValueError(f"/targets is not an object: {document!r}")
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for pool, targets in document.items():
        if isinstance(targets, list):
            for target in targets:
                states[(pool, normalise_url(target["url"]))] = target
        elif isinstance(targets, dict):
            for url, target in targets.items():
                states[(pool, normalise_url(url))] = {"url": url, **target}
        else:
            raise ValueError(f"/targets pool {pool!r} is neither a list nor an object: {targets!r}")
    return states


def normalise_url(url: str) -> str:
    """`http://127.0.0.1:11500/` and `http://127.0.0.1:11500` name the same target."""
    return url.rstrip("/")


# --- JWT ---------------------------------------------------------------------


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """(header, payload, signature) of a compact JWS."""
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), b64url_decode(signature)


def encode_segment(document: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(document, separators=(",", ":")).encode())


def tamper_payload(token: str) -> str:
    """The token with one character of its payload segment changed (the signature kept).

    The changed character sits in the middle of the segment, where every base64url character
    decodes to different bytes (the last character may carry only padding bits).
    """
    header, payload, signature = token.split(".")
    index = len(payload) // 2
    replacement = "A" if payload[index] != "A" else "B"
    return ".".join((header, payload[:index] + replacement + payload[index + 1 :], signature))


def with_header(token: str, **changes: Any) -> str:
    """The token with header fields changed (None removes one), payload and signature kept."""
    header, _, _ = jwt_parts(token)
    for key, value in changes.items():
        if value is None:
            header.pop(key, None)
        else:
            header[key] = value
    _, payload, signature = token.split(".")
    return ".".join((encode_segment(header), payload, signature))


def unsigned(token: str) -> str:
    """`alg: none` with the real payload and an empty signature (the classic bypass)."""
    header, _, _ = jwt_parts(token)
    header["alg"] = "none"
    return ".".join((encode_segment(header), token.split(".")[1], ""))


def hs256_confused(token: str, public_key_pem: bytes) -> str:
    """The real payload signed HS256 with the issuer's public key as the secret (key confusion)."""
    header, _, _ = jwt_parts(token)
    header["alg"] = "HS256"
    signing_input = encode_segment(header) + "." + token.split(".")[1]
    signature = hmac.new(public_key_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(signature)


# --- RSA public keys (JWK → PEM, RS256 verification) ---------------------------


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        encoded = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        encoded = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + encoded + content


def _der_integer(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return _der(0x02, raw)


_RSA_ALGORITHM = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")


def jwk_numbers(jwk: dict[str, Any]) -> tuple[int, int]:
    """(modulus, public exponent) of an RSA JWK."""
    return int.from_bytes(b64url_decode(jwk["n"]), "big"), int.from_bytes(b64url_decode(jwk["e"]), "big")


def jwk_to_pem(jwk: dict[str, Any]) -> bytes:
    """The SubjectPublicKeyInfo PEM of an RSA JWK (what a naive verifier would use as HMAC secret)."""
    modulus, exponent = jwk_numbers(jwk)
    public_key = _der(0x30, _der_integer(modulus) + _der_integer(exponent))
    info = _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\0" + public_key))
    body = base64.b64encode(info).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n").encode()


_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_valid(token: str, jwk: dict[str, Any]) -> bool:
    """Whether the token's RS256 signature (PKCS#1 v1.5, SHA-256) verifies under the JWK."""
    modulus, exponent = jwk_numbers(jwk)
    header, payload, signature = token.split(".")
    size = (modulus.bit_length() + 7) // 8
    signature_bytes = b64url_decode(signature)
    if len(signature_bytes) != size:
        return False
    recovered = pow(int.from_bytes(signature_bytes, "big"), exponent, modulus).to_bytes(size, "big")
    digest = hashlib.sha256(f"{header}.{payload}".encode()).digest()
    expected = b"\x00\x01" + b"\xff" * (size - 3 - len(_SHA256_DIGEST_INFO) - len(digest)) + b"\x00"
    return hmac.compare_digest(recovered, expected + _SHA256_DIGEST_INFO + digest)
