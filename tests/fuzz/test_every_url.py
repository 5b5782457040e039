"""Every URL of the URL conf, as every role, with random and hostile values in its path
parameters, query parameters and form fields: never a server error, and a refused request
(4xx) leaves every stored row as it was.

Bounded for the suite: a sweep first visits every URL (a GET to the real objects with
hostile query parameters, GETs with each hostile path segment, a POST to the real objects
with every form field hostile and one to an id that does not exist), then Hypothesis sends
``FUZZ_EXAMPLES`` random requests per role (default 30; ``FUZZ_EXAMPLES=500`` for a longer
hunt). Runs on SQLite and, with ``DATABASE_URL`` naming PostgreSQL, on PostgreSQL.
"""

from __future__ import annotations

import datetime
import os
import re
from urllib.parse import quote, quote_from_bytes

import pytest
from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals import forms as review_forms
from approvals import meetings, rubric
from approvals.models import CheckItem
from documents import views as document_views
from tests import files
from tests.factories import FundingApplicationFactory, make_user
from workflows import forms as application_forms
from workflows.audit import verify_chain

pytestmark = pytest.mark.django_db

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
FUZZ = settings.get_profile("fuzz")

ROLES = (
    "anonymous",
    "applicant",
    "lead_officer",
    "group_chair",
    "group_member",
    "meeting_secretary",
    "auditor",
    "administrator",
)
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, prefix + _route_of(pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _route_of(pattern)


def _route_of(pattern) -> str:
    route = getattr(pattern.pattern, "_route", None)
    if route is not None:
        return route
    # A regex pattern (the admin's app index and catch-all): its groups become parameters.
    regex = pattern.pattern._regex.lstrip("^").rstrip("$").replace("\\Z", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", regex)


ROUTES = sorted(set(_routes(get_resolver())))

# --- hostile values --------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
NASTY = st.sampled_from(
    [
        "",
        "\x00",
        "京科配\x00",
        "0",
        "-1",
        str(2**31),
        str(2**63 - 1),
        str(2**63),
        str(2**64),
        "9" * 40,
        "1e309",
        "NaN",
        "-Infinity",
        "99999999999999.99",
        "12345678901234.56",
        "0.001",
        "2026-02-30",
        "99999-01-01",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "../../../etc/passwd",
        "%",
        "x" * 70_000,
        "true",
        "[]",
        "{}",
    ]
)
HOSTILE_SEGMENTS = ["0", str(2**63 - 1), str(2**63), "9" * 40, "%00", "%FF%FE", "x" * 300]
VALUE = st.one_of(NASTY, TEXT, st.integers().map(str))
# Path segments and query values as they arrive: percent-escapes, invalid UTF-8 included.
RAW_BYTES = st.binary(min_size=1, max_size=12).map(lambda b: quote_from_bytes(b, safe=""))
ESCAPED = st.one_of(VALUE.map(lambda v: quote(v, safe="")), RAW_BYTES, st.just("%FF%FE%00"))
UPLOAD = st.builds(
    lambda name, content: SimpleUploadedFile(name, content),
    st.sampled_from(
        ["a.pdf", "a.png", "a.docx", "a.doc", "a.exe", "a.pdf.html", "x" * 300 + ".pdf"]
    ),
    st.one_of(
        st.binary(max_size=64),
        st.just(files.PDF + b"<html><script>x</script></html>"),
        st.just(b"%PDF-1.7\n" + b"\x00" * 64),
        st.just(files.PNG[:20]),
    ),
)


def _field_names(world) -> list[str]:
    """Every field of our forms (the fields made per check item, criterion and agenda item
    included), and the parameters views read themselves."""
    names = {"task", "to_user", "reason", "page", "verify", "number", "next", "language"}
    modules = (application_forms, review_forms, document_views, auth_forms)
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                names.update(getattr(value, "base_fields", {}))
    for item in CheckItem:
        names.update({f"passed_{item.value}", f"note_{item.value}"})
    for criterion in rubric.rubric_for(world["application"].call):
        names.update({f"score_{criterion.code}", f"comment_{criterion.code}"})
    for pk in world["application_ids"]:
        names.update({f"decision_{pk}", f"amount_{pk}", f"reason_{pk}"})
    return sorted(names)


# --- the world the requests land in ----------------------------------------------------------


@pytest.fixture
def world():
    application = FundingApplicationFactory(state="meeting_review")
    people = application.people
    draft = FundingApplicationFactory(
        organisation=people.applicant.profile.organisation, created_by=people.applicant
    )
    meeting = meetings.create_meeting(
        actor=people.secretary,
        call_id=application.call_id,
        held_on=timezone.localdate() + datetime.timedelta(days=7),
        place="第一会议室",
        chair="主管副市长",
    )
    administrator = make_user("administrator")
    administrator.is_staff = administrator.is_superuser = True
    administrator.save(update_fields=["is_staff", "is_superuser"])
    users = {
        "anonymous": None,
        "applicant": people.applicant,
        "lead_officer": people.lead_officer,
        "group_chair": people.group_chair,
        "group_member": people.group_member,
        "meeting_secretary": people.secretary,
        "auditor": make_user("auditor"),
        "administrator": administrator,
    }
    world = {
        "application": application,
        "application_ids": [application.pk, draft.pk],
        "ids": [application.pk, draft.pk, meeting.pk, application.review_process_id, 1],
        "users": users,
    }
    world["fields"] = _field_names(world)
    return world


def _writes() -> int:
    """Rows written so far in the test's transaction, not counting the refused attempts kept
    on purpose: equal before and after a request that wrote nothing."""
    from workflows.models import RefusedAttempt

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_user_tables WHERE relname <> %s",
                [RefusedAttempt._meta.db_table],
            )
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0]) - RefusedAttempt.objects.count()


@st.composite
def _request(draw, world, route: str | None = None):
    route = route if route is not None else draw(st.sampled_from(ROUTES))

    def segment(match: re.Match) -> str:
        converter = match.group("converter") or "str"
        known = world["ids"] if converter == "id" else ["submit", "accept", "approve", "x"]
        return draw(st.one_of(st.sampled_from([str(v) for v in known]), ESCAPED))

    path = "/" + PARAMETER.sub(segment, route)
    query = draw(st.lists(st.tuples(st.sampled_from(world["fields"]) | TEXT, ESCAPED), max_size=3))
    if query:
        path += "?" + "&".join(f"{quote(k, safe='')}={v}" for k, v in query)
    names = draw(st.lists(st.sampled_from(world["fields"]), max_size=6, unique=True))
    data = {name: draw(st.one_of(VALUE, st.lists(VALUE, max_size=3), UPLOAD)) for name in names}
    return draw(st.sampled_from(["get", "post"])), path, data


class Visitor:
    """Sends one request as the role's user, and checks what came back and what was stored."""

    def __init__(self, user) -> None:
        self.user = user
        self.client = Client()
        self._log_in()

    def _log_in(self) -> None:
        if self.user is not None:
            self.client.force_login(self.user)

    def send(self, method: str, path: str, data: dict) -> None:
        before = _writes()
        response = getattr(self.client, method)(path, data if method == "post" else None)
        assert response.status_code < 500, (method, path)
        if response.status_code >= 400:
            assert _writes() == before, (method, path, response.status_code)
        if "_auth_user_id" not in self.client.session:
            self._log_in()  # the request logged out (or in as nobody): the role goes on


def _sweep(world) -> list[tuple[str, str, dict]]:
    """Every route, once by GET with each parameter in turn a hostile value, and once by POST
    to the real objects with every field hostile: no URL goes unvisited, whatever the random
    requests pick."""
    nasty = NASTY.elements
    requests, turn = [], 0

    def next_value() -> str:
        nonlocal turn
        turn += 1
        return quote(nasty[turn % len(nasty)], safe="")

    def real(match: re.Match) -> str:
        return str(world["ids"][0]) if match.group("converter") == "id" else "submit"

    for route in ROUTES:
        query = f"?page={next_value()}&number={next_value()}&{next_value()}={next_value()}"
        requests.append(("get", "/" + PARAMETER.sub(real, route) + query, {}))
        if PARAMETER.search(route):
            requests.extend(
                ("get", "/" + PARAMETER.sub(lambda m, v=value: v, route), {})
                for value in HOSTILE_SEGMENTS
            )
            requests.append(("post", "/" + PARAMETER.sub(lambda m: "999999", route), {}))
        fields = {name: nasty[(turn + i) % len(nasty)] for i, name in enumerate(world["fields"])}
        turn += 1
        requests.append(("post", "/" + PARAMETER.sub(real, route), fields))
    return requests


@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_with_a_server_error_or_stores_half_a_refused_request(role, world, settings):
    # Rate limits count in this process's memory here: the shared cache's table would count
    # as a write of every refused request.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    visitor = Visitor(world["users"][role])
    for method, path, data in _sweep(world):
        visitor.send(method, path, data)

    @FUZZ
    @given(st.data())
    def random_requests(data):
        visitor.send(*data.draw(_request(world)))

    random_requests()
    assert verify_chain().intact
