"""Reading CloudFormation YAML as the service does: short intrinsic tags (!Sub, !Ref, !GetAtt…)
as their long forms, and values resolved against given parameters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags read as {"Fn::Sub": …}-style mappings."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, object]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: object
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=Loader)


def resolve(value: Any, names: dict[str, str]) -> Any:
    """`value` with Ref / Fn::Sub / Fn::GetAtt replaced from `names` (parameter and resource names,
    "Resource.Attribute" for attributes); unknown names stay as ${Name} so a test sees them."""
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return names.get(argument, "${%s}" % argument)
        if key == "Fn::GetAtt":
            dotted = ".".join(argument)
            return names.get(dotted, "${%s}" % dotted)
        if key == "Fn::Sub":
            pattern, extra = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            scope = {**names, **{k: resolve(v, names) for k, v in extra.items()}}
            return re.sub(r"\$\{([^}!]+)\}", lambda match: str(scope.get(match.group(1), match.group(0))), pattern)
    if isinstance(value, dict):
        return {key: resolve(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    return value
