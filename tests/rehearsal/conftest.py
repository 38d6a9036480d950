"""Fixtures of the rehearsal tier: the shipped artefacts, the shared model store standing for EFS,
two worker instances configured by the real playbook, PostgreSQL standing for RDS, the Lambda zips
and the API stand-in in front of them all (docs/deploy.md, "Rehearsal")."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from pathlib import Path

import pytest
import requests

import artefacts
import cloudformation
from instance import Instance

REPO = artefacts.REPO
CAKAP_HOME = artefacts.CAKAP_HOME
# The model the rehearsal serves: the smallest chat model `cakap setup` puts in the store (the
# fleet's own list is passed as the association passes it, with this one in place of the big ones).
CHAT_MODEL = os.environ.get("CAKAP_REHEARSAL_MODEL", "smollm2:135m")
# The big chat models of fleet.yaml's Models (the brief's orca-mini and llama3) are replaced by
# CHAT_MODEL; every other model it names is served under its own name from the setup store, so the
# functions' CAKAP_EMBED_MODEL and CAKAP_TUTOR_MODEL (api.yaml) are the models the fleet pulls.
BIG_CHAT_MODELS = {"orca-mini", "llama3"}


def fleet_models() -> list[str]:
    """fleet.yaml's default Models, as the association passes them."""
    template = cloudformation.load(REPO / "infra/cloudformation/common/fleet.yaml")
    return template["Parameters"]["Models"]["Default"].split(",")


MODELS = [CHAT_MODEL] + [model for model in fleet_models() if model not in BIG_CHAT_MODELS]
EFS_IP = "10.0.2.200"
EFS_IP_B = "10.0.3.200"
# Instances as infra/cloudformation/common/fleet.yaml names them: the designated puller and one other.
INSTANCES = [("lks-worker-llm-a-zone-a", "llm"), ("lks-worker-chat-a-zone-a", "chat")]


def pytest_configure(config: pytest.Config) -> None:
    if os.geteuid() != 0:
        raise pytest.UsageError("the rehearsal needs root (chroot, mount, ip netns)")


@pytest.fixture(scope="session")
def built() -> Path:
    """playbook.zip and the Lambda and web zips, from scripts/build-artefacts (cached by content)."""
    started = time.monotonic()
    folder = artefacts.built_artefacts()
    print(f"artefacts ready in {time.monotonic() - started:.0f} s: {folder}")
    return folder


@pytest.fixture(scope="session")
def bundle(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker bundle as the playbook ships it, unpacked."""
    return artefacts.unpacked_bundle(built, tmp_path_factory.mktemp("bundle"))


def extra_variables(models: str) -> str:
    """The association's ExtraVariables from fleet.yaml, with this rehearsal's values substituted."""
    template = cloudformation.load(REPO / "infra/cloudformation/common/fleet.yaml")
    association = next(resource for resource in template["Resources"].values() if resource["Type"] == "AWS::SSM::Association")
    value = association["Properties"]["Parameters"]["ExtraVariables"][0]
    values = {"EfsIp": EFS_IP, "Zone": "zone-a", "AWS::Region": "us-east-1", "ModelPuller": INSTANCES[0][0], "Models": models,
              "EfsIpB": EFS_IP_B, "PlaybookTimeoutSeconds": "3000"}
    resolved = cloudformation.resolve(value, values)
    assert "${" not in resolved, f"the association passes a variable the rehearsal does not know: {resolved}"
    return resolved




def seed_store(efs: Path, model: str) -> None:
    """EFS holding `model` already, as after the puller's first run (files owned by the cakap uid)."""
    store = Path(os.environ.get("CAKAP_MODELS", CAKAP_HOME / "models"))
    name, tag = (model.split(":") + ["latest"])[:2]
    manifest = store / "manifests/registry.ollama.ai/library" / name / tag
    if not manifest.is_file():
        pytest.fail(f"{model} is not in {store}: run cakap setup", pytrace=False)
    target = efs / "models"
    (target / manifest.relative_to(store)).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(manifest, target / manifest.relative_to(store))
    layers = json.loads(manifest.read_text())
    (target / "blobs").mkdir(exist_ok=True)
    for layer in [layers["config"], *layers["layers"]]:
        blob = "sha256-" + layer["digest"].split(":", 1)[1]
        subprocess.run(["cp", "--reflink=auto", str(store / "blobs" / blob), str(target / "blobs" / blob)], check=True)
    subprocess.run(["chown", "-R", "11434:11434", str(target)], check=True)


@pytest.fixture(scope="session")
def efs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared model store both instances mount at /share, seeded with MODELS."""
    folder = tmp_path_factory.mktemp("efs")
    (folder / ".rehearsal-efs").touch()
    for model in MODELS:
        seed_store(folder, model)
    return folder


@pytest.fixture(scope="session")
def instances(built: Path, efs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instance]]:
    """Two instances configured by the real worker.yml from playbook.zip, worker running."""
    from cloudwatch_standin import AgentPackage

    created: list[Instance] = []
    with AgentPackage(tmp_path_factory.mktemp("cloudwatch")) as agent:
        try:
            for index, (name, pool) in enumerate(INSTANCES):
                instance = Instance(name, pool, index, tmp_path_factory.mktemp(name), efs, f"{EFS_IP} {EFS_IP_B}")
                created.append(instance)
                instance.create()
                agent.serve_on(instance.host_address)

            def configure(instance: Instance) -> None:
                variables = extra_variables(",".join(MODELS)) + f" cloudwatch_agent_deb_url={agent.url(instance.host_address)}"
                log = tmp_path_factory.getbasetemp() / f"{instance.name}-playbook.log"
                started = time.monotonic()
                instance.playbook = instance.apply_playbook(built / "playbook.zip", variables, log)  # type: ignore[attr-defined]
                print(f"{instance.name}: playbook exit {instance.playbook.returncode} in {time.monotonic() - started:.0f} s")  # type: ignore[attr-defined]

            # State Manager runs the association on every instance at once; so does the rehearsal.
            with ThreadPoolExecutor(len(created)) as pool:
                list(pool.map(configure, created))
            yield created
        finally:
            for instance in created:
                instance.close()


def chat(url: str, text: str, timeout: float = 120) -> requests.Response:
    return requests.post(f"{url}/api/chat", timeout=timeout, json={
        "model": CHAT_MODEL, "stream": False, "options": {"num_predict": 24, "temperature": 0},
        "messages": [{"role": "user", "content": text}],
    })


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# The web app's origin in the rehearsal (on AWS, the Amplify app's URL: another origin than the
# API's), on a free port (rehearsals of several checkouts may run at once), and the pool's issuer.
WEB_HOST = "127.0.0.2"
WEB_ORIGIN = f"http://{WEB_HOST}:{free_port(WEB_HOST)}"
USER_POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Rehearsal"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Rehearsal"
USER_POOL_KEY = b"rehearsal user pool key"
DATABASE_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lks-db-master-Rehearsal"
FUNCTIONS_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:lks-fn-database-Rehearsal"
API_TEMPLATE = REPO / "infra/cloudformation/us-east-1/api.yaml"


def function_name(logical_id: str) -> str:
    """The FunctionName api.yaml gives the function `logical_id` (the `functions` fixture's key)."""
    return cloudformation.load(API_TEMPLATE)["Resources"][logical_id]["Properties"]["FunctionName"]


@pytest.fixture(scope="session")
def relays(instances: list[Instance]) -> Iterator[list[Any]]:
    """The gateway NLB's two listeners, relayed to the two rehearsed instances (zone a, zone b)."""
    from nlb_standin import Relay

    started = [Relay((instance.address, 11434)) for instance in instances[:2]]
    yield started
    for relay in started:
        relay.close()


@pytest.fixture(scope="session")
def rds(bundle: Path) -> Iterator[Any]:
    """PostgreSQL + pgvector standing for RDS: `cakap postgres` of the shipped bundle."""
    from lambdas import Postgres

    # Outside pytest's 0700 folders: PostgreSQL runs as an unprivileged user and reads its files.
    folder = Path(tempfile.mkdtemp(prefix="cakap-rehearsal-rds-"))
    postgres = Postgres(bundle / "bin/cakap", folder, free_port())
    yield postgres
    postgres.close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def api_parameters(relays: list[Any], rds: Any) -> dict[str, str]:
    """api.yaml's parameters as the deployment gives them (defaults, then the stacks' values),
    with the rehearsal's addresses for the NLB, the database and the functions (lambdas.py)."""
    from lambdas import ROUTED

    template = cloudformation.load(API_TEMPLATE)
    parameters = {name: str(spec["Default"]) for name, spec in template["Parameters"].items() if "Default" in spec}
    parameters |= {"AllowedOrigin": WEB_ORIGIN, "UserPoolArn": USER_POOL_ARN, "GatewayNlbDnsName": "127.0.0.1",
                   "ZoneAPort": str(relays[0].port), "ZoneBPort": str(relays[1].port),
                   "AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012",
                   "DatabaseSecretArn": DATABASE_SECRET_ARN, "FunctionsDatabaseSecretArn": FUNCTIONS_SECRET_ARN,
                   "DatabaseHost": "127.0.0.1", "DatabasePort": str(rds.port), "DatabaseName": "postgres"}
    for logical_id in ROUTED:
        parameters[f"{logical_id}.Arn"] = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name(logical_id)}"
    return parameters


@pytest.fixture(scope="session")
def functions(api_parameters: dict[str, str], rds: Any, built: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The routed functions by name, their zips under the Runtime API emulator with the environment
    api.yaml gives them, logged in as cakap_fn, after one run of the owner function as `cakap aws
    deploy` invokes it (Deployer+DatabaseOwner.swift; lambdas.py states what is mapped)."""
    from lambdas import OWNER, ROUTED, Function, archive_of, function_environment

    template = cloudformation.load(API_TEMPLATE)
    credentials = {DATABASE_SECRET_ARN: rds.secret,
                   FUNCTIONS_SECRET_ARN: {"username": "cakap_fn", "password": secrets.token_urlsafe(24)}}

    def start(logical_id: str) -> Any:
        name = function_name(logical_id)
        environment = function_environment(template, logical_id, api_parameters, credentials)
        timeout = float(template["Resources"][logical_id]["Properties"]["Timeout"])
        return Function(name, built / archive_of(template, logical_id), environment, tmp_path_factory.mktemp(name), timeout)

    owner = start(OWNER)
    try:
        answer = owner({})  # `aws lambda invoke` with no payload
    finally:
        owner.close()
    assert answer == {"schema": "current", "role": "cakap_fn"}, f"{answer}\n{owner.log_tail()}"
    started: dict[str, Any] = {}
    try:
        for logical_id in ROUTED:
            function = start(logical_id)
            started[function.name] = function
        yield started
    finally:
        for function in started.values():
            function.close()


@pytest.fixture(scope="session")
def api(api_parameters: dict[str, str], functions: dict[str, Any]) -> Iterator[Any]:
    """The API stand-in from api.yaml: the Amplify origin allowed, the HTTP_PROXY routes to the
    NLB relays, the AWS_PROXY routes to the functions."""
    from api_standin import ApiStandIn

    stand_in = ApiStandIn(API_TEMPLATE, api_parameters, {}, functions, USER_POOL_KEY, ISSUER)
    yield stand_in
    stand_in.close()


@pytest.fixture(scope="session")
def token() -> str:
    from api_standin import id_token

    return id_token(USER_POOL_KEY, ISSUER, "3f1c0e6a-rehearsal-learner", "learner@example.com")
