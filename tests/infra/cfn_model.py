"""Reads Cakap's CloudFormation templates, stacks.json and topology.json for the infra tests.

Templates use CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...); the loader turns
them into the long form ({"Ref": ...}, {"Fn::Sub": ...}, {"Fn::GetAtt": [resource, attribute]}).
`resolve` evaluates the parts of a value that are known before deployment (parameters with a
literal value in stacks.json or a default, pseudo parameters, !Sub); everything else becomes
"<unknown>".
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "infra" / "cloudformation"
ANSIBLE = ROOT / "infra" / "ansible"
UNKNOWN = "<unknown>"


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _construct_intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


@functools.cache
def template(relative_path: str) -> dict[str, Any]:
    """The template at infra/cloudformation/<relative_path>, parsed."""
    with open(TEMPLATES / relative_path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=CfnLoader)


def template_paths() -> list[str]:
    """Every template, relative to infra/cloudformation."""
    return sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.yaml"))


@functools.cache
def stacks_document() -> dict[str, Any]:
    return json.loads((ROOT / "infra" / "stacks.json").read_text())


def stacks() -> list[dict[str, Any]]:
    """The ordered stacks of infra/stacks.json."""
    return stacks_document()["stacks"]


def stack(name: str) -> dict[str, Any]:
    return next(s for s in stacks() if s["name"] == name)


def stack_template(entry: dict[str, Any]) -> dict[str, Any]:
    return template(entry["template"].removeprefix("infra/cloudformation/"))


@functools.cache
def topology() -> dict[str, Any]:
    return json.loads((ROOT / "config" / "topology.json").read_text())


def region(name: str) -> dict[str, Any]:
    return next(r for r in topology()["regions"] if r["name"] == name)


def subnet_cidr(region_name: str, kind: str, az: str | None = None) -> str:
    return next(
        s["cidr"] for s in region(region_name)["subnets"] if s["kind"] == kind and (az is None or s["az"] == az)
    )


def resources(doc: dict[str, Any], resource_type: str | None = None) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, optionally only those of one type."""
    return {k: v for k, v in doc.get("Resources", {}).items() if resource_type in (None, v["Type"])}


def stack_parameters(entry: dict[str, Any]) -> dict[str, Any]:
    """Parameter values of one stack as far as they are known before deployment."""
    doc = stack_template(entry)
    values: dict[str, Any] = {k: p.get("Default", UNKNOWN) for k, p in doc.get("Parameters", {}).items()}
    for key, source in entry["parameters"].items():
        values[key] = source.get("value", UNKNOWN)
    values["AWS::Region"] = entry["region"]
    values["AWS::Partition"] = "aws"
    values["AWS::AccountId"] = "123456789012"
    return values


def resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """Evaluates Ref and Sub against known parameters; anything else is UNKNOWN."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return parameters.get(argument, UNKNOWN)
        if key == "Fn::Sub":
            text, extra = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in extra:
                    return str(resolve(extra[name], parameters))
                return str(parameters.get(name, UNKNOWN))
            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if key.startswith("Fn::"):
            return UNKNOWN
    if isinstance(value, list):
        return [resolve(v, parameters) for v in value]
    return value


def refs(value: Any) -> set[str]:
    """Every parameter or resource name a value refers to (Ref, GetAtt, ${...} in Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref":
                found.add(argument)
            elif key == "Fn::GetAtt":
                found.add(argument[0])
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(argument, str):
                    found |= refs(argument[1])
            else:
                found |= refs(argument)
    elif isinstance(value, list):
        for item in value:
            found |= refs(item)
    return found


# --- resource schemas shipped with cfn-lint (what each type supports) --------------------------

@functools.cache
def _schema_index() -> dict[str, str]:
    base = importlib_resources.files("cfnlint.data.schemas")
    return json.loads((base / "providers" / "us-east-1.json").read_text())


@functools.cache
def schema(resource_type: str) -> dict[str, Any]:
    """The CloudFormation resource schema of a type, as cfn-lint ships it."""
    base = importlib_resources.files("cfnlint.data.schemas")
    return json.loads((base / "resources" / f"{_schema_index()[resource_type]}.json").read_text())


def tag_property(resource_type: str) -> str | None:
    """Name of the property holding tags, or None if the type cannot be tagged."""
    tagging = schema(resource_type).get("tagging", {})
    if not tagging.get("taggable", False) or "tagProperty" not in tagging:
        return None
    return tagging["tagProperty"].removeprefix("/properties/")


def tags(resource: dict[str, Any]) -> dict[str, Any]:
    """Tags of a resource as a dict, whatever shape the type uses (list of Key/Value or map)."""
    prop = tag_property(resource["Type"])
    raw = resource.get("Properties", {}).get(prop) if prop else None
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    return {t["Key"]: t["Value"] for t in raw}
