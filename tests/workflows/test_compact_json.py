"""Large JSON a decision stores is written compactly: no space after a separator, and text as
UTF-8 rather than escapes."""

import json

from workflows.compact_json import CompactJSONEncoder


def test_compact_json_has_no_spaces_and_keeps_chinese_text_as_it_is():
    value = {"名称": "配套资金", "步骤": [1, {"金额": "6000000.00"}]}

    assert json.dumps(value, cls=CompactJSONEncoder) == (
        '{"名称":"配套资金","步骤":[1,{"金额":"6000000.00"}]}'
    )


def test_compact_json_reads_back_as_the_value_it_was_made_from():
    value = {"text": '【上限】min(1, 2) "引号" \\ 斜杠', "n": None, "ok": True}

    assert json.loads(json.dumps(value, cls=CompactJSONEncoder)) == value
