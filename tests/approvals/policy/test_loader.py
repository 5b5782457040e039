"""Reading policy documents from text and files, and their content hash."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from approvals.policy import (
    PolicyValidationError,
    canonical_json,
    load_policy_file,
    load_policy_text,
)
from approvals.policy.loader import MAX_POLICY_BYTES, parse_policy_document

from .builders import EXAMPLE_PATH

YAML = """
name: 测试政策
version: "test.1"
effective: {from: 2026-01-01, to: 2026-12-31}
rules:
  - id: ratio
    kind: ratio
    cases: [{ratio: 0.3}]
  - id: pool
    kind: pooled_funding
    method: priority
    departments:
      - {code: kw, name: {zh: 市科委, en: S&T}, budget: 1000000}
"""

JSON = json.dumps(
    {
        "rules": [
            {"cases": [{"ratio": 0.30}], "kind": "ratio", "id": "ratio"},
            {
                "id": "pool",
                "kind": "pooled_funding",
                "method": "priority",
                "departments": [
                    {"budget": 1000000.0, "code": "kw", "name": {"en": "S&T", "zh": "市科委"}}
                ],
            },
        ],
        "effective": {"to": "2026-12-31", "from": "2026-01-01"},
        "version": "test.1",
        "name": "测试政策",
    },
    ensure_ascii=False,
)


def only_problem_text(text: str) -> str:
    with pytest.raises(PolicyValidationError) as caught:
        load_policy_text(text)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0].message_en


def test_example_policy_loads() -> None:
    policy = load_policy_file(EXAMPLE_PATH)
    assert policy.version == "2026-example.1"


def test_example_policy_says_it_is_not_official() -> None:
    policy = load_policy_file(EXAMPLE_PATH)
    assert "not official" in policy.notice
    assert "示例" in policy.notice


def test_example_policy_uses_every_rule_kind() -> None:
    policy = load_policy_file(EXAMPLE_PATH)
    assert {r.kind.value for r in policy.rules} == {
        "eligibility",
        "ratio",
        "cap",
        "equity_share",
        "pooled_funding",
        "rounding",
    }


def test_content_hash_is_sha256_hex() -> None:
    digest = load_policy_text(YAML).content_hash
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_same_policy_in_yaml_and_json_has_the_same_hash() -> None:
    assert load_policy_text(YAML).content_hash == load_policy_text(JSON).content_hash


def test_comments_and_layout_do_not_change_the_hash() -> None:
    reformatted = "# a comment\n" + YAML.replace(
        "cases: [{ratio: 0.3}]", "cases:\n      - ratio: 0.30"
    )
    assert load_policy_text(reformatted).content_hash == load_policy_text(YAML).content_hash


def test_changing_a_value_changes_the_hash() -> None:
    changed = YAML.replace("ratio: 0.3", "ratio: 0.31")
    assert load_policy_text(changed).content_hash != load_policy_text(YAML).content_hash


def test_changing_a_department_name_changes_the_hash() -> None:
    changed = YAML.replace("市科委", "北京市科委")
    assert load_policy_text(changed).content_hash != load_policy_text(YAML).content_hash


def test_numbers_are_read_exactly_as_written() -> None:
    policy = load_policy_text(YAML.replace("ratio: 0.3", "ratio: 0.1234567891"))
    assert policy.ratio.cases[0].value == Decimal("0.1234567891")


def test_canonical_json_sorts_keys_and_normalises_numbers() -> None:
    text = canonical_json({"b": Decimal("1.50"), "a": [1, Decimal("2.0")], "c": None})
    assert text == '{"a":[1,2],"b":1.5,"c":null}'


def test_canonical_json_keeps_chinese_text_readable() -> None:
    assert canonical_json({"name": "市科委"}) == '{"name":"市科委"}'


def test_duplicate_yaml_key_is_refused() -> None:
    assert "duplicate key 'version'" in only_problem_text(YAML + 'version: "test.2"\n')


def test_duplicate_json_key_is_refused() -> None:
    assert "duplicate key 'version'" in only_problem_text(JSON[:-1] + ', "version": "x"}')


def test_yaml_alias_is_refused() -> None:
    text = YAML.replace("{zh: 市科委, en: S&T}", "&n {zh: 市科委, en: S&T}") + "notice: *n\n"
    assert "aliases" in only_problem_text(text)


def test_malformed_yaml_is_refused() -> None:
    assert "cannot be parsed" in only_problem_text("name: [unclosed")


def test_json_nan_is_refused() -> None:
    assert "cannot be parsed" in only_problem_text('{"name": NaN}')


def test_yaml_infinity_is_refused_as_a_ratio() -> None:
    assert "finite" in only_problem_text(YAML.replace("ratio: 0.3", "ratio: .inf"))


def test_oversized_document_is_refused() -> None:
    text = YAML + "notice: " + "x" * MAX_POLICY_BYTES + "\n"
    assert "larger than" in only_problem_text(text)


def test_empty_document_is_refused() -> None:
    assert "must be a mapping" in only_problem_text("")


def test_yaml_dates_become_dates() -> None:
    document = parse_policy_document("effective: {from: 2026-01-01}")
    assert document["effective"]["from"].isoformat() == "2026-01-01"


def test_load_policy_file_reads_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(YAML, encoding="utf-8")
    assert load_policy_file(path).name == "测试政策"


def test_load_policy_file_of_a_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        load_policy_file(tmp_path / "missing.yaml")
