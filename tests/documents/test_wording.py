"""What the policy engine records by code, in the words a document prints."""

from __future__ import annotations

from django.utils import translation

from documents.wording import explanation_lines

POOLED = {
    "rule_id": "pooled",
    "kind": "pooled_funding",
    "template": "pooled_funding.priority",
    "title_zh": "统筹出资",
    "title_en": "pooled funding",
    "text_zh": "【统筹出资】按优先顺序由各部门出资，共 8,000,000.00 元："
    "市科委 8,000,000.00 元；市经信局 0.00 元",
    "text_en": "[pooled funding] drawn in priority order, 8,000,000.00 yuan in all: "
    "Science Commission 8,000,000.00 yuan; Economy Bureau 0.00 yuan",
    "inputs": {
        "departments": [
            {"name_zh": "市科委", "name_en": "Science Commission", "amount": "8000000.00"},
            {"name_zh": "市经信局", "name_en": "Economy Bureau", "amount": "0.00"},
        ]
    },
    "result": "8000000.00",
}
UNLABELLED_CASE = {
    "rule_id": "matching-ratio",
    "kind": "ratio",
    "template": "ratio",
    "title_zh": "配套比例",
    "title_en": "matching ratio",
    "text_zh": "【配套比例】适用情形 2（industrialised_in_beijing），配套比例 30%",
    "text_en": "[matching ratio] case 2 (industrialised_in_beijing) applies, ratio 30%",
    "inputs": {"case": 1, "condition": "industrialised_in_beijing"},
    "result": "3000000.00",
}
FAILED_CHECK = {
    "rule_id": "registered-in-beijing",
    "kind": "eligibility",
    "template": "eligibility.failed",
    "title_zh": "在京注册",
    "title_en": "registered in Beijing",
    "inputs": {
        "condition": "registered_in_beijing",
        "message_zh": "申报单位须在北京市注册。",
        "message_en": "The applicant must be registered in Beijing.",
    },
    "result": None,
}


def test_a_department_that_pays_nothing_is_left_out_of_the_split_by_department():
    with translation.override("zh-hans"):
        (line,) = explanation_lines([POOLED])

    assert (line.endswith("市科委 8,000,000.00 元"), "市经信局" in line) == (True, False)


def test_the_english_split_by_department_leaves_out_a_department_at_zero_too():
    with translation.override("en"):
        (line,) = explanation_lines([POOLED])

    assert "Economy Bureau" not in line


def test_a_case_without_a_label_is_named_by_its_number_not_its_condition():
    with translation.override("zh-hans"):
        (line,) = explanation_lines([UNLABELLED_CASE])

    assert line == "【配套比例】适用情形 2，配套比例 30%"


def test_a_failed_eligibility_rule_prints_its_title_and_message_not_its_condition():
    with translation.override("zh-hans"):
        (line,) = explanation_lines([FAILED_CHECK])

    assert line == "【在京注册】不符合：申报单位须在北京市注册。"


def test_a_failed_eligibility_rule_reads_in_english_in_a_translation():
    with translation.override("en"):
        (line,) = explanation_lines([FAILED_CHECK])

    assert line == "[registered in Beijing] not met: The applicant must be registered in Beijing."
