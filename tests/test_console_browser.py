"""The staff console in a real headless Chromium (Debian's chromium and chromedriver via Selenium):
log in, the dashboard's charts drawn, a ticket, the card preview in three languages, mark reviewed
and its audit row, keyboard and phone width. Screenshots go to HELPDESK_CONSOLE_SCREENSHOTS, else
to ``console-screenshots/`` in the test's tmp folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from console_world import PASSWORDS, ConsoleServer, chromium
from console_world import world as world  # noqa: F401 (the fixture)

from bot.serving import HelpdeskRef
from bot.transcript import Transcript
from bot.web.app import console_app

pytestmark = pytest.mark.slow


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("HELPDESK_CONSOLE_SCREENSHOTS") or tmp_path / "console-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(world, tmp_path):
    settings, store, helpdesk, accounts = world
    transcript = Transcript(store)
    for action in ("answer", "answer", "answer", "clarify", "refer", "smalltalk"):
        transcript.log(8, 8, "in", "a question", lang="az", action=action, topic="tax-debt-check")
    server = ConsoleServer(
        lambda: console_app(settings, store, HelpdeskRef(helpdesk), accounts=accounts)
    ).start()
    driver = chromium(tmp_path / "chromium-profile")
    driver.implicitly_wait(5)
    try:
        yield driver, server.url, world
    finally:
        driver.quit()
        server.stop()


def log_in(driver, url: str, name: str) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/dashboard")
    assert driver.current_url.endswith("/login")  # logged out: sent to the login page
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.ID, "login-button").click()
    # The click returns before the POST and its redirect are done (the password hash alone takes a
    # while on a loaded machine): wait for the page to leave /login, then let the caller check where.
    try:
        WebDriverWait(driver, 30).until(lambda d: not d.current_url.endswith("/login"))
    except TimeoutException:
        pass  # still on the login page: the caller's assertion says so


def test_a_supervisor_sees_charts_and_opens_a_ticket(browser, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, url, _ = browser
    log_in(driver, url, "sam")
    assert driver.current_url.endswith("/dashboard")
    bars = driver.find_elements(By.CSS_SELECTOR, "#chart-days rect.bar")
    assert len(bars) >= 4
    # Drawn, not only in the markup: each bar has a size on the screen.
    assert all(bar.size["height"] > 0 and bar.size["width"] > 0 for bar in bars)
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-busiest_topics rect.bar")
    assert driver.find_element(By.ID, "fig-questions").text == "8"
    driver.save_screenshot(str(shots / "dashboard.png"))

    # The keyboard's first stop is the skip link, and it leads to the main content.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("class") == "skip" and active.get_attribute("href").endswith("#main")

    driver.find_element(By.LINK_TEXT, "Müraciətlər").click()
    driver.find_element(By.CSS_SELECTOR, "#tickets a[href='/tickets/1']").click()
    assert driver.find_element(By.ID, "ticket-state").text == "open"
    messages = driver.find_element(By.ID, "messages").text
    assert "<script>alert(1)</script>" in messages  # a citizen's markup, shown as text
    assert "[FIN]" in messages and "5ZXK4PT" not in driver.page_source
    assert "tax-debt-check" in driver.find_element(By.ID, "candidates").text
    driver.save_screenshot(str(shots / "ticket.png"))


def test_an_editor_previews_a_card_and_marks_it_reviewed(browser, shots):
    from selenium.webdriver.common.by import By

    driver, url, (settings, store, helpdesk, _) = browser
    log_in(driver, url, "eli")
    assert driver.current_url.endswith("/knowledge")  # editors land on the knowledge base
    driver.find_element(By.LINK_TEXT, "passport").click()
    article = helpdesk.kb.by_topic["passport"]
    for lang in ("az", "ru", "en"):
        driver.find_element(By.ID, f"card-{lang}").click()
        bold = driver.find_element(By.CSS_SELECTOR, "#card-preview b")
        assert bold.text == article.title[lang]  # the card's title, bold, as Telegram shows it
        assert article.sections[lang].body in driver.find_element(By.ID, "card-preview").text
        driver.save_screenshot(str(shots / f"card-{lang}.png"))

    driver.find_element(By.ID, "note").send_keys("checked against asan.gov.az")
    driver.find_element(By.ID, "mark-reviewed").click()
    assert driver.find_element(By.ID, "message").text == "reviewed"
    assert driver.find_element(By.ID, "review-state").text.startswith("yoxlanılıb: eli")
    audit = driver.find_element(By.ID, "audit").text
    assert "kb_review" in audit and "checked against asan.gov.az" in audit
    driver.save_screenshot(str(shots / "reviewed.png"))
    assert any(row["action"] == "kb_review" for row in store.audit_log())


def test_pages_fit_a_phone(browser, shots):
    from selenium.webdriver.common.by import By

    driver, url, _ = browser
    log_in(driver, url, "ada")
    driver.set_window_size(375, 812)
    for path in ("/dashboard", "/tickets", "/knowledge/passport", "/gaps"):
        driver.get(url + path)
        driver.find_element(By.ID, "main")
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        width = driver.execute_script("return document.documentElement.scrollWidth")
        viewport = driver.execute_script("return window.innerWidth")
        assert width <= viewport, (path, width, viewport)
    driver.get(url + "/dashboard")
    driver.save_screenshot(str(shots / "dashboard-375.png"))
