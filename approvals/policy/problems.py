"""What is wrong with a policy document, said so that its author can fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One problem: where it is (rule index and id, field path) and what is wrong, in zh and en.

    `rule_index` is the zero-based position in `rules` (None for the document's own fields);
    `rule_id` is the rule's id when it has a readable one.
    """

    field: str
    message_zh: str
    message_en: str
    rule_index: int | None = None
    rule_id: str | None = None

    @property
    def location(self) -> str:
        if self.rule_index is None:
            return self.field
        rule = f"rules[{self.rule_index}]"
        if self.rule_id:
            rule += f" '{self.rule_id}'"
        return f"{rule}: {self.field}" if self.field else rule

    def __str__(self) -> str:
        return f"{self.location} — {self.message_zh} / {self.message_en}"

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_index": self.rule_index,
            "rule_id": self.rule_id,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class PolicyValidationError(ValueError):
    """The document is not a usable policy; `problems` lists every problem found, not just the
    first, so an author can fix them in one pass."""

    def __init__(self, problems: list[PolicyProblem] | tuple[PolicyProblem, ...]) -> None:
        self.problems: tuple[PolicyProblem, ...] = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"政策文件有 {len(self.problems)} 处问题 / policy has "
            f"{len(self.problems)} problem(s):\n{lines}"
        )
