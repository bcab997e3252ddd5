"""CloudFormation values made plain text: Ref, Fn::GetAtt and Fn::Join written as ``${LogicalId}`` and
``${LogicalId.Attribute}`` (or a value the caller gives for them), so a synthesized template's state machine
definition can be parsed, compared with the Python one, and executed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def render(value: Any, values: Mapping[str, str] | None = None) -> str:
    """A template string value as text; ``values`` replaces ``${...}`` names (e.g. a bucket's Ref)."""
    known = values or {}
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((kind, argument),) = value.items()
        if kind == "Ref":
            return known.get(argument, f"${{{argument}}}")
        if kind == "Fn::GetAtt":
            name = ".".join(argument)
            return known.get(name, f"${{{name}}}")
        if kind == "Fn::Join":
            separator, parts = argument
            return str(separator).join(render(part, known) for part in parts)
    raise ValueError(f"not a string, Ref, Fn::GetAtt or Fn::Join: {json.dumps(value)}")


def template_definition(template: Mapping[str, Any], values: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The one state machine's definition, as the template holds it (DefinitionString), parsed."""
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parsed: dict[str, Any] = json.loads(render(machine["Properties"]["DefinitionString"], values))
    return parsed


def resolved(document: Any, resolve: Any, values: Mapping[str, str] | None = None) -> Any:
    """A Python document with every string's tokens resolved (``resolve`` is ``stack.resolve``) and rendered;
    everything else, ``None`` included, as it is."""
    if isinstance(document, dict):
        return {key: resolved(item, resolve, values) for key, item in document.items()}
    if isinstance(document, list):
        return [resolved(item, resolve, values) for item in document]
    if isinstance(document, str):
        return render(resolve(document), values)
    return document
