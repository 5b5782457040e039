"""Reading a policy document from text or a file: parsing, hashing, validating.

YAML and JSON are both accepted (a document starting with `{` is read as JSON). Numbers are
read as `Decimal` straight from their text, never through float, so `0.3` is exactly 0.3.
The YAML reader is PyYAML's safe loader with three refusals added: duplicate keys (the second
would silently win), aliases (`*ref` — an alias bomb can make a few lines expand to gigabytes,
and a policy has no use for them) and documents larger than `MAX_POLICY_BYTES`.

`content_hash` is the SHA-256 of the document's canonical JSON: keys sorted, no whitespace,
UTF-8, numbers in their shortest exact decimal form (`1.0` and `1` are the same number), dates
as `YYYY-MM-DD`. The same policy written in YAML or JSON, with any key order, comments or
layout, has the same hash; any change to a value, a message or a notice changes it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from .problems import PolicyProblem, PolicyValidationError
from .schema import build_policy
from .version import PolicyVersion

MAX_POLICY_BYTES = 512 * 1024


class _PolicyYamlLoader(yaml.SafeLoader):
    """Safe YAML with exact decimals, and no duplicate keys or aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ConstructorError(
                None, None, "aliases (*name) are not allowed in a policy", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: ScalarNode) -> Decimal:  # type: ignore[override]
        text = str(self.construct_scalar(node)).replace("_", "").lower()
        special = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
        try:
            return Decimal(special.get(text, text))
        except InvalidOperation:
            raise ConstructorError(
                None, None, f"cannot read the number {text!r}", node.start_mark
            ) from None


_PolicyYamlLoader.add_constructor(
    "tag:yaml.org,2002:float",
    _PolicyYamlLoader.construct_yaml_float,
)


def _refuse_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _refuse_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a policy can use")


def parse_policy_document(text: str) -> Any:
    """The document as plain data (dicts, lists, str, int, Decimal, date, bool, None).

    Refuses (PolicyValidationError) text that is too large or is not well-formed YAML/JSON.
    """
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyValidationError(
            [
                PolicyProblem(
                    "(document)",
                    f"政策文件超过 {MAX_POLICY_BYTES // 1024} KiB",
                    f"the document is larger than {MAX_POLICY_BYTES // 1024} KiB",
                )
            ]
        )
    try:
        if text.lstrip().startswith("{"):
            return json.loads(
                text,
                parse_float=Decimal,
                parse_constant=_refuse_json_constant,
                object_pairs_hook=_refuse_duplicate_json_keys,
            )
        return yaml.load(text, Loader=_PolicyYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as exc:
        reason = _parse_error(exc)
        raise PolicyValidationError(
            [PolicyProblem("(document)", f"无法解析：{reason}", f"cannot be parsed: {reason}")]
        ) from None


def _parse_error(exc: Exception) -> str:
    """The parser's complaint in one line: where, and what (without its excerpt of the text)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).split())


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a parsed document (see the module docstring)."""
    parts: list[str] = []
    _write_canonical(value, parts)
    return "".join(parts)


def _write_canonical(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{value} has no JSON form")
        if number == number.to_integral_value():
            out.append(str(int(number)))
        else:
            out.append(f"{number.normalize():f}")
    elif isinstance(value, float):
        _write_canonical(Decimal(repr(value)), out)
    elif isinstance(value, date):  # datetime is a date too
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str)):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write_canonical(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write_canonical(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no JSON form")


def content_hash(document: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a parsed document."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def load_policy_document(document: Any) -> PolicyVersion:
    """Validate already-parsed data (e.g. a JSONField) and build its policy version.

    Refuses what `load_policy_text` refuses, except parse errors.
    """
    try:
        digest = content_hash(document)
    except (TypeError, ValueError):
        # Let validation say precisely which value is unusable.
        digest = ""
    policy = build_policy(document, content_hash=digest)
    if not digest:
        raise PolicyValidationError(
            [
                PolicyProblem(
                    "(document)",
                    "文件含有无法规范化的值",
                    "the document has a value with no canonical JSON form",
                )
            ]
        )
    return policy


def load_policy_text(text: str) -> PolicyVersion:
    """Parse, validate and hash a policy written as YAML or JSON.

    Refuses (PolicyValidationError, every problem at once) text that does not parse, and a
    document that does not satisfy the schema (see `schema`).
    """
    return load_policy_document(parse_policy_document(text))


def load_policy_file(path: str | Path) -> PolicyVersion:
    """`load_policy_text` on a UTF-8 file; OSError when the file cannot be read."""
    return load_policy_text(Path(path).read_text(encoding="utf-8"))
