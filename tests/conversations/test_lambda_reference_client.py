"""The brief's reference client's history calls (issue 16) through the conversations Lambda: the
shipped `bootstrap` under the Runtime API emulator, against the real PostgreSQL, with API Gateway
proxy events as its Cognito authorizer passes them on (R-FN-1, R-API-1). The same replay as
tests/reference_client runs through the edge (tests/reference_client/reference_calls.py, which
cites the client's source file for each call)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import cakap_testing.lambda_runtime_emulator as runtime
from conftest import REPOSITORY, Stack
from test_lambda import bootstrap, start_function  # noqa: F401  (the shipped artefact, as a fixture)

from cakap_testing.reference_calls import ORIGIN, Answer, replay_conversations  # noqa: E402


def lambda_call(emulator: runtime.Emulator, sub: str):
    """A transport for the replay: each call one proxy event from the client's origin."""

    def call(method: str, path: str, body: dict | None) -> Answer:
        event = runtime.proxy_event(method, path, sub, body)
        event["headers"]["Origin"] = ORIGIN
        outcome = emulator.invoke(event)
        assert outcome.kind == "response", outcome
        headers = {name.lower(): value for name, value in (outcome.body.get("headers") or {}).items()}
        # A proxy integration adds CORS itself; the browser needs it on every answer.
        assert headers.get("access-control-allow-origin") == ORIGIN, headers
        text = outcome.body.get("body") or ""
        return Answer(outcome.body["statusCode"], json.loads(text) if text else None, headers)

    return call


def canned_reply(messages: list[dict]) -> str:
    """The chat pool is not part of this test: a fixed partner line per turn."""
    return f"Thanks for telling me! (turn {len([m for m in messages if m['role'] == 'user'])})"


def test_the_reference_clients_history_calls_work_through_the_lambda(stack: Stack, bootstrap: Path, tmp_path) -> None:  # noqa: F811
    emulator = runtime.start()
    env = {**stack.db_env, "CAKAP_CORS_ORIGINS": f"https://app.example,{ORIGIN}"}
    process = start_function([str(bootstrap)], emulator, env, tmp_path / "lambda.log")
    try:
        turns = ["I goes to school by bus.", "My sister like cats.", "We was happy yesterday."]
        sub = str(uuid.uuid4())
        replay_conversations(lambda_call(emulator, sub), sub, canned_reply, turns)
        assert process.poll() is None
    finally:
        process.kill()
        emulator.stop()
