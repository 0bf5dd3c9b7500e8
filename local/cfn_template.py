"""Reading a CloudFormation/SAM template: YAML with short-form tags, and the intrinsic
functions that can be resolved locally (``Ref`` and ``Fn::Sub``, pseudo parameters
included). What the template declares is read by :mod:`local.cloudformation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

#: Values for pseudo parameters when resolving ``!Ref``/``!Sub`` locally.
PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/local/local",
}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation short-form tags.

    ``!Ref X`` becomes ``{"Ref": "X"}``, ``!Condition X`` ``{"Condition": "X"}``
    and any other ``!Tag v`` becomes ``{"Fn::Tag": v}``; ``!GetAtt A.B`` is split
    into ``["A", "B"]`` as in the long form.
    """


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template (short-form tags allowed)."""
    with open(path, encoding="utf-8") as fh:
        return cast(dict[str, Any], yaml.load(fh, Loader=CfnLoader))  # a SafeLoader subclass


def resolve(value: Any, refs: Mapping[str, str]) -> Any:
    """Resolve ``Ref`` and simple ``Fn::Sub`` using ``refs`` (logical id or parameter -> value).

    Pseudo parameters are resolved from :data:`PSEUDO_PARAMETERS`; anything that
    cannot be resolved locally (``Fn::GetAtt``, ``Fn::If``...) is returned unchanged.
    """
    lookup = {**PSEUDO_PARAMETERS, **refs}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in lookup:
        return lookup[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        text = _substitute(value["Fn::Sub"], lookup, refs)
        if text is not None:
            return text
    return {k: resolve(v, refs) for k, v in value.items()}


def _substitute(sub: Any, lookup: Mapping[str, str], refs: Mapping[str, str]) -> str | None:
    """``Fn::Sub`` (``"text"`` or ``["text", {name: value}]``) with ``${name}`` replaced;
    ``None`` if its text is not a string (left unresolved)."""
    text, extra = sub, {}
    if isinstance(text, list):
        text, extra = text[0], {k: resolve(v, refs) for k, v in text[1].items()}
    if not isinstance(text, str):
        return None
    for name, value in {**lookup, **extra}.items():
        text = text.replace("${" + name + "}", str(value))
    return text


def resources(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """The properties of every resource of one ``Type``, by logical id."""
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == type_
    }


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter's default, as the value a ``Ref`` to it resolves to."""
    return {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }
