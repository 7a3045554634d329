"""Read the CloudFormation templates of infra/ so local tools use the same definitions.

moto's CloudFormation skips several resource types silently (see LOCAL_AWS.md), so the local
bootstrap creates resources through the service APIs from these definitions instead
(docs/architecture.md, decision 10). Only the intrinsic functions our templates use are resolved: Ref, Fn::Sub,
Fn::Join, Fn::If with the template's Conditions (Fn::Equals/Not/And/Or, Condition) and
AWS::NoValue; other functions (Fn::GetAtt, ...) are left as they are.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

INFRA_DIR = Path(__file__).resolve().parent

# What Ref AWS::NoValue resolves to: the property or list item that holds it is dropped.
_NO_VALUE = object()


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form tags (!Sub, !Ref, ...) into their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:  # yaml.MappingNode: the only other kind of node
        value = loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@dataclass
class Template:
    path: Path
    body: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body.get("Resources", {})

    def resolve(self, value: Any) -> Any:
        """Resolve the supported intrinsic functions on parameters and pseudo parameters."""
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self._lookup(value["Ref"])
        if set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"]
            extra: dict[str, Any] = {}
            if isinstance(text, list):
                text, extra = text[0], {k: self.resolve(v) for k, v in text[1].items()}
            return _substitute(text, lambda name: extra[name] if name in extra else self._lookup(name))
        if set(value) == {"Fn::Join"}:
            separator, items = value["Fn::Join"]
            return separator.join(str(item) for item in self.resolve(items))
        if set(value) == {"Fn::If"}:
            condition, if_true, if_false = value["Fn::If"]
            return self.resolve(if_true if self.condition(condition) else if_false)
        if set(value) == {"Fn::Equals"}:
            left, right = self.resolve(value["Fn::Equals"])
            return left == right
        if set(value) == {"Fn::Not"}:
            return not self.resolve(value["Fn::Not"][0])
        if set(value) == {"Fn::And"}:
            return all(self.resolve(value["Fn::And"]))
        if set(value) == {"Fn::Or"}:
            return any(self.resolve(value["Fn::Or"]))
        if set(value) == {"Condition"} and isinstance(value["Condition"], str):
            return self.condition(value["Condition"])
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def condition(self, name: str) -> bool:
        """The value of one of the template's Conditions for these parameters."""
        return bool(self.resolve(self.body.get("Conditions", {})[name]))

    def _lookup(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": "us-east-1",
            "AWS::AccountId": "123456789012",
            "AWS::StackName": self.path.stem,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        declared = self.body.get("Parameters", {}).get(name)
        # Given values come first, pseudo parameters included (e.g. AWS::StackName as deployed).
        if name in self.parameters:
            return _typed(declared, self.parameters[name])
        if name in pseudo:
            return pseudo[name]
        if declared is not None and "Default" in declared:
            return _typed(declared, declared["Default"])
        if name in self.resources:
            return self.physical_name(name)
        raise KeyError(f"{self.path.name}: cannot resolve {name!r} locally")

    def physical_name(self, logical_id: str) -> str:
        """The name a resource gets: its declared name property, else its logical id."""
        properties = self.resources[logical_id].get("Properties", {})
        for key in ("BucketName", "TableName", "QueueName", "TopicName", "PoolName", "UserPoolName"):
            if key in properties:
                return str(self.resolve(properties[key]))
        return logical_id

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolve(self.resources[logical_id].get("Properties", {}))


def load(name: str, **parameters: str) -> Template:
    path = INFRA_DIR / name
    body = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return Template(path=path, body=body, parameters=parameters)


def all_templates(**parameters: str) -> list[Template]:
    return [load(path.name, **parameters) for path in sorted(INFRA_DIR.glob("*.yaml"))]


def _typed(declared: dict[str, Any] | None, value: Any) -> Any:
    """A parameter's value as Ref gives it: list types are split on commas, members space-trimmed."""
    kind = (declared or {}).get("Type", "String")
    if isinstance(value, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
        return [item.strip() for item in value.split(",")]
    return value


def _substitute(text: str, lookup: Any) -> str:
    out, i = [], 0
    while i < len(text):
        start = text.find("${", i)
        if start < 0:
            out.append(text[i:])
            break
        end = text.index("}", start)
        out.append(text[i:start])
        name = text[start + 2 : end]
        out.append("${" + name[1:] + "}" if name.startswith("!") else str(lookup(name)))
        i = end + 1
    return "".join(out)
