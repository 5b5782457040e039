"""The back office's "done when", in headless Chromium: a newcomer administrator, starting from
the demonstration data of ``make run`` and using only the pages, opens a new call with its
rubric and required attachments, onboards an organisation (its registration and approval) and
its staff, sets up a department head who names an acting head, enrols an expert with a field,
loads next year's policy and activates it after a what-if run; then a request goes through the
new call end to end, and the configuration log shows the changes.

Run by ``make test-browser`` (``pytest -m browser``); long, so marked ``slow`` as well.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.support.ui import Select

from approvals.models import CheckItem, ExpertProfile, MatchingPolicyVersion, Meeting
from backoffice.models import ConfigChange
from demo.data import DEMO_PASSWORD, EXAMPLE_POLICY, ensure_demo_data
from tests import files
from tests.browser_harness import Visitor, chromium, problems
from workflows.credit_code import check_character
from workflows.models import ActingHead, FundingApplication, FundingCall, SpecialProject
from workflows.review_path import Status

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LANGUAGE, WIDTH = "zh-hans", 1440
CODE = "91110108MA0H15001" + check_character("91110108MA0H15001")
REPRESENTATIVE_PASSWORD = "A-long-pass-phrase-2027"
TITLE = "2026年度第二批配套资金（后台新建）"


@pytest.fixture
def driver():
    browser = chromium()
    yield browser
    browser.quit()


@pytest.fixture
def demo():
    ensure_demo_data()
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def visit(driver, live_server, request):
    folder = Path(request.config.getoption("--screenshots")) / request.node.name

    def as_user(user, password: str = DEMO_PASSWORD) -> Visitor:
        return Visitor(
            driver,
            live_server,
            user,
            language=LANGUAGE,
            width=WIDTH,
            shots=folder,
            password=password,
        )

    return as_user


@pytest.fixture
def uploads(tmp_path):
    pdf = tmp_path / "licence.pdf"
    pdf.write_bytes(files.PDF)
    today = timezone.localdate()
    policy = tmp_path / "next-year.yaml"
    year = today.year + 1
    policy.write_text(
        EXAMPLE_POLICY.read_text(encoding="utf-8")
        .replace('version: "2026-example.1"', f'version: "{year}-example.1"')
        .replace("from: 2026-01-01", f"from: {year}-01-01")
        .replace("to: 2026-12-31", f"to: {year}-12-31"),
        encoding="utf-8",
    )
    return {"pdf": pdf, "policy": policy}


def _save_in_the_admin(person: Visitor) -> None:
    person.press("//input[@type='submit' and @name='_save']")
    refused = person.elements("//*[contains(@class, 'errornote') or contains(@class, 'errorlist')]")
    assert not refused, " / ".join(e.text for e in refused)
    person.element("//ul[contains(@class, 'messagelist')]//li[contains(@class, 'success')]")


def _open_call(admin: Visitor, today: datetime.date) -> FundingCall:
    admin.open(reverse("admin:workflows_fundingcall_add"))
    admin.fill(
        year=str(today.year),
        title=TITLE,
        opens_at_0=(today - datetime.timedelta(days=1)).isoformat(),
        opens_at_1="00:00:00",
        closes_at_0=(today + datetime.timedelta(days=60)).isoformat(),
        closes_at_1="23:59:59",
        total_budget="100000000.00",
        experts_required="1",
    )
    admin.click("//*[@id='id_special_projects_add_all']")
    for kind in ("national_approval", "budget"):
        admin.tick(f"//input[@name='required_attachment_kinds' and @value='{kind}']")
    for n, (code, name, weight) in enumerate(
        [("position", "符合区县功能定位", 40), ("market", "市场应用前景", 60)]
    ):
        admin.click("//div[@id='rubric-group']//tr[contains(@class, 'add-row')]//a")
        admin.fill(
            **{
                f"rubric-{n}-position": str(n + 1),
                f"rubric-{n}-code": code,
                f"rubric-{n}-name": name,
                f"rubric-{n}-weight": str(weight),
            }
        )
    _save_in_the_admin(admin)
    return FundingCall.objects.get(title=TITLE)


def _new_person(admin: Visitor, username: str, **profile: str) -> None:
    admin.open(reverse("admin:auth_user_add"))
    admin.fill(
        username=username, password1=REPRESENTATIVE_PASSWORD, password2=REPRESENTATIVE_PASSWORD
    )
    admin.fill(
        **{f"profile-0-{name}": value for name, value in profile.items() if name != "is_head"}
    )
    if profile.get("is_head"):
        admin.tick("//input[@name='profile-0-is_head']")
    _save_in_the_admin(admin)


def test_a_newcomer_administrator_sets_up_a_call_and_a_request_goes_through_it(
    visit, demo, uploads, driver, live_server
):
    today = timezone.localdate()
    admin_user = demo["admin"]
    checks = []

    # The administrator opens the call, with its rubric and required attachments.
    with visit(admin_user) as admin:
        call = _open_call(admin, today)

    # An organisation registers itself (nobody signed in) …
    driver.delete_all_cookies()
    driver.get(live_server.url + reverse("organisation-register"))
    stranger = Visitor(driver, live_server, None, language=LANGUAGE, width=WIDTH, shots=Path("."))
    stranger.fill(
        name="北京后台新创科技有限公司",
        kind="enterprise",
        district="haidian",
        credit_code=CODE,
        representative_name="王芳",
        username="wangfang",
        email="wangfang@example.invalid",
        password=REPRESENTATIVE_PASSWORD,
    )
    stranger.attach("licence", uploads["pdf"])
    stranger.submit("//main//form")

    # … the administrator approves it, sets up a department head and an expert, and loads
    # next year's policy after its what-if run.
    project = SpecialProject.objects.filter(calls=call).order_by("code").first()
    department = project.lead_department
    with visit(admin_user) as admin:
        admin.open(reverse("registrations"))
        checks.append(admin.step("registrations"))
        admin.submit("//tr[@class='registration']//form")
        _new_person(
            admin,
            "head_new",
            role="lead_officer",
            department=str(department.pk),
            is_head="1",
        )
        _new_person(admin, "expert_new", role="group_member")
        admin.open(reverse("admin:approvals_expertprofile_add"))
        expert = get_user_model().objects.get(username="expert_new")
        admin.driver.execute_script(
            "const s = django.jQuery('#id_user');"
            "s.append(new Option(arguments[1], arguments[0], true, true)).trigger('change');",
            str(expert.pk),
            expert.username,
        )
        admin.fill(affiliation="北京示例研究院", affiliation_group="示例集团")
        Select(admin.element("//select[@id='id_fields_from']")).select_by_index(0)
        admin.click("//*[@id='id_fields_add']")
        _save_in_the_admin(admin)
        admin.open(reverse("backoffice-policies"))
        admin.attach("file", uploads["policy"])
        admin.fill(call=str(call.pk))
        admin.submit("//form[@id='policy-form']", button="check")
        checks.append(admin.step("what-if"))
        admin.submit("//form[@id='policy-form']", button="activate")
        checks.append(admin.step("policy activated"))

    # The organisation's administrator adds a colleague.
    representative = get_user_model().objects.get(username="wangfang")
    with visit(representative, REPRESENTATIVE_PASSWORD) as org_admin:
        org_admin.open(reverse("organisation-staff"))
        org_admin.fill(username="li.lei", name="李雷", email="lilei@example.invalid")
        org_admin.submit("//main//form[not(contains(@action, 'remove'))]")
        checks.append(org_admin.step("staff"))

    # The new head names the department's officer to act for them.
    officer = demo[f"officer_{department.code}"]
    head = get_user_model().objects.get(username="head_new")
    with visit(head, REPRESENTATIVE_PASSWORD) as person:
        person.open(reverse("acting-heads"))
        person.fill(
            acting=str(officer.pk),
            starts_on=today.isoformat(),
            ends_on=(today + datetime.timedelta(days=14)).isoformat(),
            reason="出差",
        )
        person.submit("//form[@id='acting-head-form']")
        checks.append(person.step("acting head"))

    # The representative files a request in the new call with the required attachments.
    with visit(representative, REPRESENTATIVE_PASSWORD) as applicant:
        applicant.open(reverse("application-create"))
        start = today
        applicant.fill(
            call=str(call.pk),
            special_project=str(project.pk),
            national_task_code="2026ZX15001",
            title="后台新建批次的课题",
            national_approval_number="国科发专〔2026〕15号",
            national_funding="20000000.00",
            own_funds="10000000.00",
            other_local_funds="0",
            requested_amount="8000000.00",
            funding_form="grant",
            landing_district="haidian",
            period_start=start.isoformat(),
            period_end=(start + datetime.timedelta(days=900)).isoformat(),
            expected_sales_revenue="50000000",
            expected_patents="12",
            expected_jobs="80",
        )
        applicant.submit("//main//form[contains(@class, 'grid')]")
        application = FundingApplication.objects.get(national_task_code="2026ZX15001")
        for kind in ("national_approval", "budget"):
            applicant.fill(kind=kind)
            applicant.attach("file", uploads["pdf"])
            applicant.submit("//form[contains(@action, '/attachments/')]")
        applicant.submit("//form[contains(@action, '/act/submit/')]")
        checks.append(applicant.step("submitted"))

    # The lead department accepts it.
    with visit(officer) as lead:
        lead.open(reverse("application-detail", args=[application.pk]))
        lead.submit("//form[contains(@action, '/act/claim/')]")
        for item in CheckItem.values:
            lead.choose(f"passed_{item}", "yes")
        lead.choose("decision", "accept")
        lead.submit("//form[contains(@action, '/formal-check/')]")

    # The group's chair assigns the new expert, who scores; the chair recommends.
    chair = demo["group_chair"]
    with visit(chair) as person:
        person.open(reverse("application-detail", args=[application.pk]))
        person.submit("//form[contains(@action, '/act/claim/')]")
        person.tick(f"//input[@name='experts' and @value='{expert.pk}']")
        person.submit("//form[contains(@action, '/experts/')]")
    with visit(expert, REPRESENTATIVE_PASSWORD) as person:
        person.open(reverse("application-detail", args=[application.pk]))
        person.choose("conflict", "no")
        person.submit("//form[contains(@action, '/declaration/')]")
        for name in [e.get_attribute("name") for e in person.elements("//input[@type='number']")]:
            person.fill(**{name: "85", name.replace("score_", "comment_"): "论证充分"})
        person.submit("//form[contains(@action, '/scores/')]")
    with visit(chair) as person:
        person.open(reverse("application-detail", args=[application.pk]))
        person.submit("//form[contains(@action, '/act/claim/')]")
        person.choose("decision", "recommend")
        person.fill(amount="6000000.00", reason="评分较高，建议支持")
        person.submit("//form[contains(@action, '/recommendation/')]")
        checks.append(person.step("recommended"))

    # The joint meeting approves it.
    secretary = demo["secretary"]
    with visit(secretary) as person:
        person.open(reverse("approvals:meetings"))
        person.fill(
            within="//main//form[contains(@class, 'grid')]",
            call=str(call.pk),
            kind="plenary",
            held_on=today.isoformat(),
            place="市政府第一会议室",
            chair="分管副市长",
            attendees=str(head.pk),
        )
        person.submit("//main//form[contains(@class, 'grid')]")
        person.submit("//form[contains(@action, '/agenda/')]")
        person.tick("//form[contains(@class, 'batch')]//input[@name='confirm']")
        person.submit("//form[contains(@class, 'batch')]", button="as_recommended")
        checks.append(person.step("approved"))

    # The configuration log shows what the newcomer changed.
    with visit(admin_user) as admin:
        admin.open(reverse("config-log"))
        checks.append(admin.step("configuration log"))
        logged = admin.text()

    assert FundingApplication.objects.get(pk=application.pk).status == Status.APPROVED
    meeting = Meeting.objects.get(call=call)
    assert (meeting.state, list(meeting.attendees.all())) == (Meeting.State.RESOLVED, [head])
    assert ActingHead.objects.get(head=head).acting == officer
    assert list(ExpertProfile.objects.get(user=expert).fields.all())
    assert MatchingPolicyVersion.objects.get(version=f"{today.year + 1}-example.1").active
    assert get_user_model().objects.get(username="li.lei").profile.organisation.credit_code == CODE
    assert {"fundingcall", "organisation", "user", "expertprofile", "matchingpolicyversion"} <= {
        model.rsplit(".", 1)[1] for model in ConfigChange.objects.values_list("model", flat=True)
    }
    assert TITLE in logged
    assert problems(checks) == []
