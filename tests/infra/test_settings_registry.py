"""One registry of settings (STYLE.md §10, issue 20): every environment variable a Cakap program
reads is declared once in Sources/CakapSettings/Settings.swift and printed by `cakap config`;
nothing else reads the environment; every variable the deployment sets (playbook templates, unit
files, the Lambdas' environment in the templates) is one the code reads; and every model a
function or the web app is configured to use is one the fleet pulls (R-LLM-4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from cfn_model import ANSIBLE, ROOT, resources, stack_parameters, stacks, template
from test_deployment_blockers import needs_cakap
from worker_env import cakap, render

SOURCES = ROOT / "Sources"
REGISTRY = SOURCES / "CakapSettings" / "Settings.swift"
DECLARATION = re.compile(r'public static let (\w+) = Setting\(\s*"([A-Z][A-Z0-9_]*)"', re.S)


def declared() -> dict[str, str]:
    """Variable name → the Swift member that declares it."""
    return {name: member for member, name in DECLARATION.findall(REGISTRY.read_text())}


def swift_sources() -> list[Path]:
    return [p for p in SOURCES.rglob("*.swift") if "CakapSettings" not in p.parts]


def test_nothing_outside_the_registry_reads_the_environment() -> None:
    """No ProcessInfo environment, getenv or literal `environment["X"]` / `ProcessEnvironment.current["X"]`
    read outside CakapSettings."""
    offenders = []
    for path in swift_sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//", 1)[0]
            if "ProcessInfo.processInfo.environment" in code or re.search(r"\bgetenv\(", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
            for match in re.finditer(r'(?:environment|current)\["([A-Z][A-Z0-9_]*)"\](?!\s*=[^=])', code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: reads {match.group(1)} by name")
            # Names given to child processes too: Settings.x.name, so a rename cannot miss one.
            for match in re.finditer(r'"((?:CAKAP|DB)_[A-Z0-9_]+)"', code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: names {match.group(1)} as a string")
    assert not offenders, "read the environment through Settings (CakapSettings):\n" + "\n".join(offenders)


def variables_the_scripts_read() -> set[str]:
    """Cakap's own variables (CAKAP_*, DB_*) that scripts/ read, e.g. CAKAP_RDS_CA_BUNDLE in build-artefacts."""
    text = "\n".join(p.read_text() for p in (ROOT / "scripts").iterdir() if p.is_file())
    return set(re.findall(r"\$\{?((?:CAKAP|DB)_[A-Z0-9_]+)", text))


def test_every_variable_the_scripts_read_is_declared() -> None:
    """scripts/build-artefacts runs under `cakap aws deploy`, so what it reads belongs in the registry too."""
    scripts = variables_the_scripts_read()
    assert {"CAKAP_HOME", "CAKAP_RDS_CA_BUNDLE", "CAKAP_RDS_CA_URL"} <= scripts  # the scan works
    assert scripts - set(declared()) == set()


def test_every_declared_setting_is_read_by_the_code() -> None:
    """Each registry entry Cakap itself reads (not the linker's or Lambda's) is used as Settings.<member>."""
    text = "\n".join(p.read_text() for p in swift_sources())
    external = {"HOME", "PATH", "LD_LIBRARY_PATH"} | variables_the_scripts_read()
    # cakap aws deploy reads the settings stacks.json names ({"setting": …}) through the registry.
    external |= {s["setting"] for entry in stacks() for s in entry["parameters"].values() if "setting" in s}
    unused = [name for name, member in declared().items() if f"Settings.{member}" not in text and name not in external]
    assert not unused, f"declared but never read: {unused}"


@needs_cakap
def test_cakap_config_prints_the_whole_registry() -> None:
    """`cakap config --json` lists every declared variable with default, meaning and programs; secrets masked."""
    result = cakap("config", "--json", environment={"DB_PASSWORD": "hunter2", "CAKAP_NUM_PARALLEL": "3"})
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(declared())
    assert rows["DB_PASSWORD"]["value"] == "(set)" and "hunter2" not in result.stdout
    assert rows["CAKAP_NUM_PARALLEL"]["value"] == "3"
    assert all(row["meaning"] and row["programs"] and row["default"] for row in rows.values())
    text = cakap("config", environment={}).stdout
    assert "CAKAP_LLAMA_SERVER" in text and "(default)" in text


def variables_the_deployment_sets() -> dict[str, set[str]]:
    """Variable → where it is set: worker.env, Environment= of the unit, `environment:` of playbook
    tasks, and every Lambda function's Environment.Variables in every template."""
    where: dict[str, set[str]] = {}
    for line in render("worker.env.j2").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            where.setdefault(line.split("=", 1)[0].strip(), set()).add("worker.env.j2")
    # Every unit the playbook writes, not only the worker's (the read-ahead and mount units too).
    units = sorted(p.name for p in (ANSIBLE / "templates").glob("*.j2") if p.name.endswith((".service.j2", ".mount.j2")))
    assert "cakap-worker.service.j2" in units and "efs-readahead.service.j2" in units  # the scan works
    for unit in units:
        for match in re.finditer(r"^Environment=\"?([A-Z_][A-Z0-9_]*)=", render(unit), re.M):
            where.setdefault(match.group(1), set()).add(unit)
    for play in yaml.safe_load((ANSIBLE / "worker.yml").read_text()):
        tasks = play.get("pre_tasks", []) + play.get("tasks", []) + play.get("handlers", [])
        tasks += [inner for task in tasks for inner in task.get("block", []) + task.get("rescue", [])]
        for holder in [play, *tasks]:
            for name in holder.get("environment") or {}:
                where.setdefault(name, set()).add("worker.yml")
    for relative in sorted(p.relative_to(ROOT / "infra" / "cloudformation") for p in (ROOT / "infra" / "cloudformation").rglob("*.yaml")):
        for logical, function in resources(template(str(relative)), "AWS::Lambda::Function").items():
            for name in function["Properties"].get("Environment", {}).get("Variables", {}):
                where.setdefault(name, set()).add(f"{relative}:{logical}")
    return where


def test_every_variable_the_deployment_sets_is_one_the_code_reads() -> None:
    """worker.env.j2 once set CAKAP_LLAMA_SERVER and CAKAP_ORIGINS, which nothing read (issue 20)."""
    registry = declared()
    unknown = {name: sorted(places) for name, places in variables_the_deployment_sets().items() if name not in registry}
    assert not unknown, f"set by the deployment but read by no Cakap program: {unknown}"


def test_the_variables_reach_the_program_that_reads_them() -> None:
    """A variable the playbook sets (worker.env, a unit, a task) is declared for `cakap worker`; a
    Lambda's (`template:Function`) for conversations, tutor or the bootstrap."""
    text = REGISTRY.read_text()
    programs = {}
    for member, name in DECLARATION.findall(text):
        block = text[text.index(f'"{name}"'):]
        programs[name] = block[: block.index("programs:") + 200].split("programs:")[1].split("]")[0]
    for name, places in variables_the_deployment_sets().items():
        if any(":" not in place for place in places):
            assert ".worker" in programs[name], name
        if any(":" in place for place in places):
            assert any(p in programs[name] for p in (".conversations", ".tutor", ".lambda")), name


def bare(model: str) -> str:
    return model if ":" in model else model + ":latest"


def fleet_models() -> dict[str, set[str]]:
    """Per fleet stack, the models its association makes the puller pull (template default or stacks.json)."""
    default = template("common/fleet.yaml")["Parameters"]["Models"]["Default"]
    pulled = {}
    for entry in stacks():
        if entry["template"].endswith("common/fleet.yaml"):
            value = stack_parameters(entry).get("Models", default)
            pulled[entry["name"]] = {bare(m.strip()) for m in value.split(",") if m.strip()}
    return pulled


def configured_models() -> dict[str, str]:
    """Every model a function, the playbook or the web app is configured to use → where."""
    registry_defaults = {name: default for name, default in re.findall(r'Setting\(\s*"(CAKAP_[A-Z_]*MODEL)", default: "([^"]+)"', REGISTRY.read_text())}
    models: dict[str, str] = {}
    for logical, function in resources(template("us-east-1/api.yaml"), "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        parameters = template("us-east-1/api.yaml")["Parameters"]
        is_tutor = variables.get("CAKAP_FUNCTION") == "tutor"
        for name in ("CAKAP_EMBED_MODEL",) + (("CAKAP_TUTOR_MODEL",) if is_tutor else ()):
            value = variables.get(name, registry_defaults[name])
            if isinstance(value, dict):  # !Ref Parameter
                value = parameters[value["Ref"]]["Default"]
            models[f"{logical} {name}"] = value
    web = (SOURCES / "Deployment" / "WebAppConfiguration.swift").read_text()
    models["web app defaultModel"] = re.search(r'"defaultModel": "([^"]+)"', web).group(1)
    return models


def test_every_model_the_functions_and_the_web_app_use_is_pulled_by_each_fleet() -> None:
    """The Lambdas asked for all-minilm and gemma3:270m while the fleet pulled only the brief's three (issue 20)."""
    pulled = fleet_models()
    assert len(pulled) == 2
    for place, model in configured_models().items():
        for fleet, models in pulled.items():
            assert bare(model) in models, f"{place} uses {model}, which {fleet} never pulls ({sorted(models)})"
    assert {"orca-mini:latest", "llama3:latest", "nomic-embed-text:latest"} <= set.intersection(*pulled.values())


def test_the_playbook_default_pulls_what_the_fleet_template_does() -> None:
    variables = yaml.safe_load((ANSIBLE / "vars" / "worker.yml").read_text())
    assert {bare(m) for m in variables["cakap_models"].split(",")} == fleet_models()["lks-fleet-zone-a"]


@pytest.mark.parametrize(("model", "dimensions"), [("nomic-embed-text", "768"), ("all-minilm", "384")])
def test_the_conversations_vector_dimension_follows_the_embedding_model(model: str, dimensions: str) -> None:
    """The function's CAKAP_EMBED_DIMENSIONS (set or derived) is the model's: 768 for nomic-embed-text."""
    swift = (SOURCES / "Conversations" / "ConversationsSettings.swift").read_text()
    assert re.search(rf'"{model}": {dimensions}\b', swift)
    for logical, function in resources(template("us-east-1/api.yaml"), "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        set_dimensions = variables.get("CAKAP_EMBED_DIMENSIONS")
        chosen = configured_models()[f"{logical} CAKAP_EMBED_MODEL"]
        if chosen == model and set_dimensions is not None:
            assert str(set_dimensions) == dimensions, logical
