"""JSON stored as compactly as it reads: no space after a separator, and text as UTF-8 rather
than ``\\u`` escapes (Django's JSONField writes both, as Python's ``json`` does by default).

For the large JSON a decision stores: a group recommendation's assessment takes 9.2 KB as
Django writes it and 7.5 KB so. On SQLite the part of a row beyond what a page holds goes to
overflow pages, one more of which is a whole page written at every such commit. PostgreSQL keeps
``jsonb`` in its own form, whatever the text it was given."""

from __future__ import annotations

import json
from typing import Any


class CompactJSONEncoder(json.JSONEncoder):
    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "ensure_ascii": False, "separators": (",", ":")})
