"""The walking skeleton in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) against the live server, through the pages' own forms and buttons, from the
applicant's new request, through the joint meeting's agenda and resolutions, to the applicant
downloading the approval PDF.

Run by ``make test-browser`` (``pytest -m browser``, which installs the two packages) and by
``.ci/run``; deselected from ``make test``.
"""

from __future__ import annotations

import datetime
import io
import urllib.request
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from approvals import rubric
from approvals.models import CheckItem
from documents.models import Document
from tests.factories import FundingApplicationFactory
from workflows.models import FundingApplication

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 30
PASSWORD = "pw"  # the factories' password


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1280, 1600)
    yield driver
    driver.quit()


class Person:
    """One user at the browser: logs in through the login page, works through the pages."""

    def __init__(self, driver, live_server, user):
        self.driver, self.base, self.user = driver, live_server.url, user

    def __enter__(self) -> Person:
        self.driver.delete_all_cookies()
        self.open("/accounts/login/")
        self.fill(username=self.user.username, password=PASSWORD)
        self.press("登录")
        self.sees(self.user.get_full_name() or self.user.username)
        return self

    def __exit__(self, *exc_info) -> None:
        self.driver.delete_all_cookies()

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def element(self, xpath: str):
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.presence_of_element_located(("xpath", xpath))
        )

    def fill(self, within: str = "", **values: str) -> None:
        """Type into the named fields; dates and selects are set as a person picking them would
        leave them."""
        from selenium.webdriver.support.ui import Select

        for name, value in values.items():
            field = self.element(f"{within}//*[@name='{name}']")
            if field.tag_name == "select":
                Select(field).select_by_value(str(value))
            elif field.get_attribute("type") == "date":
                self.driver.execute_script("arguments[0].value = arguments[1]", field, value)
            else:
                field.clear()
                field.send_keys(str(value))

    def choose(self, name: str, value: str) -> None:
        """Tick a radio button or a checkbox."""
        box = self.element(f"//input[@name='{name}' and @value='{value}']")
        if not box.is_selected():
            self.driver.execute_script("arguments[0].click()", box)

    def press(self, label: str) -> None:
        button = self.element(f"//button[normalize-space()='{label}']")
        self.driver.execute_script("arguments[0].scrollIntoView()", button)
        button.click()

    def follow(self, label: str) -> str:
        link = self.element(f"//a[normalize-space()='{label}']")
        return link.get_attribute("href")

    def sees(self, text: str) -> None:
        self.element(f"//*[contains(normalize-space(), '{text}')]")

    def page(self) -> str:
        return self.driver.find_element("tag name", "body").text


@pytest.fixture
def world():
    """A call, a special project with its lead department, and the people of one review: the
    factories' draft supplies them; the applicant makes a request of their own in the browser."""
    seed = FundingApplicationFactory()
    return seed.call, seed.special_project, seed.people


def _new_request_fields(call, project) -> dict[str, str]:
    start = timezone.localdate()
    return {
        "call": call.pk,
        "special_project": project.pk,
        "national_task_code": "2026ZX03099",
        "title": "极大规模集成电路制造装备验证",
        "national_approval_number": "国科发专〔2026〕21号",
        "national_funding": "20000000.00",
        "own_funds": "10000000.00",
        "other_local_funds": "0",
        "requested_amount": "8000000.00",
        "funding_form": "grant",
        "landing_district": "haidian",
        "period_start": start.isoformat(),
        "period_end": (start + datetime.timedelta(days=900)).isoformat(),
        "expected_sales_revenue": "50000000",
        "expected_patents": "12",
        "expected_jobs": "80",
    }


def test_a_request_goes_through_the_three_tiers_in_the_browser_to_an_approval_pdf(
    browser, live_server, world
):
    call, project, people = world

    with Person(browser, live_server, people.applicant) as applicant:
        applicant.open("/")
        applicant.driver.get(applicant.follow("新建申请"))
        applicant.fill(**_new_request_fields(call, project))
        applicant.press("保存")
        applicant.press("提交申请")
        applicant.sees("已提交")
        page = browser.current_url.removeprefix(live_server.url)

    with Person(browser, live_server, people.lead_officer) as officer:
        officer.open(page)
        officer.press("认领任务")
        officer.sees("牵头部门审查中")
        for item in CheckItem.values:
            officer.choose(f"passed_{item}", "yes")
        officer.choose("decision", "accept")
        officer.press("记录审查结论")
        officer.sees("审核工作小组审核中")

    with Person(browser, live_server, people.group_chair) as chair:
        chair.open(page)
        chair.press("认领任务")
        for expert in people.experts:
            chair.choose("experts", str(expert.pk))
        chair.press("指派")
        chair.sees("专家评分")

    criteria = rubric.rubric_for(call)
    for expert in people.experts:
        with Person(browser, live_server, expert) as scorer:
            scorer.open(page)  # the declaration of interest comes first
            scorer.choose("conflict", "no")
            scorer.press("提交声明")
            for criterion in criteria:
                scorer.fill(
                    **{f"score_{criterion.code}": "85", f"comment_{criterion.code}": "可行"}
                )
            scorer.press("提交评分")
            scorer.sees("已评分")

    with Person(browser, live_server, people.group_chair) as chair:
        chair.open(page)
        chair.press("认领任务")
        chair.choose("decision", "recommend")
        chair.fill(amount="6000000.00", reason="评分较高，建议支持")
        chair.press("记录意见")
        chair.sees("待市联席会议审议")

    application = FundingApplication.objects.get(national_task_code="2026ZX03099")
    with Person(browser, live_server, people.secretary) as secretary:
        secretary.open(reverse("approvals:meetings"))
        secretary.fill(
            within="//main//form[contains(@class, 'grid')]",  # not the list's filter
            call=call.pk,
            held_on=timezone.localdate().isoformat(),
            place="市政府第一会议室",
            chair="分管副市长",
        )
        secretary.press("创建")
        secretary.press("生成议程")
        pk = application.pk
        secretary.fill(
            **{
                f"decision_{pk}": "approve",
                f"amount_{pk}": "5000000.00",
                f"reason_{pk}": "联席会议审议通过",
            }
        )
        secretary.driver.execute_script(
            "arguments[0].click()", secretary.element("//input[@id='id_confirm']")
        )
        secretary.press("记录全部决议")
        secretary.sees("会议决议已记录")
        secretary.open(page)
        secretary.sees("已批复")

    application.refresh_from_db()
    approval = Document.objects.get(application=application, kind="approval")
    with Person(browser, live_server, people.applicant) as applicant:
        applicant.open(page)
        applicant.sees("已批复")
        link = applicant.element(
            f"//li[contains(., '{approval.number}')]/a[normalize-space()='下载 PDF']"
        )
        pdf = _download(browser, link.get_attribute("href"))

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert (application.status, application.approved_amount) == ("approved", Decimal("5000000"))
    assert approval.number in text.replace(" ", "").replace("\n", "")
    assert "极大规模集成电路制造装备验证" in text.replace(" ", "").replace("\n", "")


def _download(driver, url: str) -> bytes:
    """The file behind a link, fetched with the browser's session."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})  # noqa: S310 -- live server
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:  # noqa: S310
        return response.read()
