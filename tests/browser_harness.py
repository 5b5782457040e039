"""The browser journeys' harness: one headless Chromium per test module, a person signed in
through the login page in a language and at a width, who works through the pages' own forms,
and at every step saves a screenshot and runs axe-core on the page (no serious or critical
violation) and checks that the page does not scroll sideways."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from django.urls import reverse

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
WAIT_SECONDS = 30
PASSWORD = "pw"  # the factories' password
# (language, window width): Chinese and English, desktop and phone.
VIEWS = [("zh-hans", 1440), ("en", 390), ("zh-hans", 390), ("en", 1440)]


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Visitor:
    """One user at the browser, in ``language`` at ``width`` px."""

    def __init__(
        self,
        driver,
        live_server,
        user,
        *,
        language: str,
        width: int,
        shots: Path,
        password: str = PASSWORD,
    ):
        self.driver, self.base, self.user = driver, live_server.url, user
        self.language, self.width, self.shots = language, width, shots
        self.password = password
        self.steps = 0

    def __enter__(self) -> Visitor:
        self.driver.set_window_size(self.width, 1000)
        self.driver.delete_all_cookies()
        self.open(reverse("login"))
        self.driver.add_cookie({"name": "django_language", "value": self.language})
        self.open(reverse("login"))
        self.fill(username=self.user.username, password=self.password)
        self.submit("//main//form")
        self.element("//nav[@class='main-nav']")
        return self

    def __exit__(self, *exc_info) -> None:
        self.driver.delete_all_cookies()

    # --- moving about -------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)

    def element(self, xpath: str):
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            expected_conditions.presence_of_element_located(("xpath", xpath))
        )

    def elements(self, xpath: str) -> list:
        return self.driver.find_elements("xpath", xpath)

    def follow(self, xpath: str) -> None:
        self.driver.get(self.element(xpath).get_attribute("href"))

    def fill(self, within: str = "", **values: str) -> None:
        """Type into the named fields (dates and selects as a person picking them would);
        ``within`` is the XPath of the form they belong to, where two forms share a name."""
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
        """Tick a radio button or a checkbox by clicking its label, as a person does."""
        box = self.element(f"//input[@name='{name}' and @value='{value}']")
        if not box.is_selected():
            self.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", box
            )

    def tick(self, xpath: str) -> None:
        """Tick the checkbox at ``xpath``."""
        box = self.element(xpath)
        if not box.is_selected():
            self.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", box
            )

    def submit(self, form_xpath: str, button: str = "") -> None:
        """Press the submit button of the form (the one named ``button`` if given)."""
        selector = f"[@name='{button}']" if button else ""
        self.press(f"{form_xpath}//button[@type='submit' or not(@type)]{selector}")

    def press(self, xpath: str) -> None:
        """Press the button (or submit input) at ``xpath`` and wait for the next page."""
        pressed = self.element(xpath)
        old = self.driver.find_element("tag name", "html")
        # A script's click: the full-page screenshot of the step before may leave the layout
        # mid-change, and a click at coordinates would then miss the button.
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", pressed
        )
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        wait = WebDriverWait(self.driver, WAIT_SECONDS)
        wait.until(expected_conditions.staleness_of(old))
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    def click(self, xpath: str) -> None:
        """Click what is at ``xpath`` on the same page (a widget's link, an option)."""
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()",
            self.element(xpath),
        )

    def attach(self, name: str, path: Path) -> None:
        """Choose the file at ``path`` in the file field ``name``."""
        self.element(f"//input[@type='file' and @name='{name}']").send_keys(str(path))

    def open_details(self, xpath: str) -> None:
        self.element(f"{xpath}/summary").click()

    def text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    # --- every step ---------------------------------------------------------------------------
    def step(self, name: str) -> dict:
        """Screenshot the page, check it with axe-core and for sideways scrolling; returns
        axe-core's serious and critical violations (none expected) with the overflow."""
        self.steps += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        target = self.shots / f"{self.steps:02d}-{slug}.png"
        target.write_bytes(base64.b64decode(shot["data"]))
        self.driver.execute_script(AXE.read_text())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
            "[{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));"
        )
        serious = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n.get("target") for n in v.get("nodes", [])][:5],
            }
            for v in json.loads(result)
            if v.get("impact") in ("serious", "critical")
        ]
        overflow = self.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        return {"page": self.path(), "step": name, "axe": serious, "overflow": max(overflow, 0)}


def problems(checks: list[dict]) -> list[dict]:
    """The steps that failed axe-core or scroll sideways."""
    return [c for c in checks if c["axe"] or c["overflow"] > 1]
