"""The staff console through aiohttp's test client on a real SQLite store: access, CSRF, roles,
escaping, lock-out, redaction, and what each page shows and does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from console_world import ACTIONS, FIN, PAGES, PASSWORDS, make_settings
from console_world import world as world  # noqa: F401 (the fixture)

from bot.cases.model import Ticket, TicketRequest
from bot.cases.tickets import Tickets
from bot.config import Settings
from bot.render import reply_html
from bot.serving import HelpdeskRef
from bot.storage.sqlite import SqliteStore
from bot.transcript import Transcript
from bot.web.app import console_app
from bot.web.dashboard import figures, percentile
from bot.web.i18n import text
from bot.web.telegram_html import telegram_subset
from bot.web.views_ops import ticket_rows


@pytest.fixture
async def client(world):
    settings, store, helpdesk, accounts = world
    app = console_app(settings, store, HelpdeskRef(helpdesk), accounts=accounts)
    async with TestClient(TestServer(app)) as made:
        yield made


async def csrf_from(client: TestClient, path: str) -> str:
    page = await (await client.get(path)).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def log_in(client: TestClient, name: str, password: str | None = None):
    token = await csrf_from(client, "/login")
    return await client.post(
        "/login",
        data={"csrf": token, "name": name, "password": password or PASSWORDS[name]},
        allow_redirects=False,
    )


async def test_every_page_but_login_redirects_when_logged_out(client):
    for path in PAGES:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/login", path
    for path in ACTIONS:
        response = await client.post(path, data={}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/login", path
    login = await client.get("/login")
    assert login.status == 200 and 'type="password"' in await login.text()


async def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(client, world):
    response = await log_in(client, "ada")
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert (await client.get("/dashboard")).status == 200
    token = await csrf_from(client, "/dashboard")
    assert (await client.post("/logout", data={"csrf": token}, allow_redirects=False)).status == 303
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303
    assert any(row["action"] == "staff_logout" and '"ada"' in row["detail"] for row in world[1].audit_log())


async def test_secure_cookies_behind_tls(world):
    settings, store, helpdesk, accounts = world
    app = console_app(
        make_settings(settings, console_secure_cookies=True), store, HelpdeskRef(helpdesk), accounts=accounts
    )
    async with TestClient(TestServer(app)) as client:
        form = await client.get("/login")
        assert "Secure" in form.headers["Set-Cookie"]
        # The test client speaks plain HTTP and keeps Secure cookies to itself: hand the token back.
        token = re.search(r'name="csrf" value="([^"]+)"', await form.text()).group(1)
        client.session.cookie_jar.clear()
        response = await client.post(
            "/login",
            data={"csrf": token, "name": "ada", "password": PASSWORDS["ada"]},
            headers={"Cookie": f"helpdesk_console_login={token}"},
            allow_redirects=False,
        )
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_post_without_its_csrf_token_is_refused(client, world):
    settings = world[0]
    article = settings.articles_dir / "identity" / "passport.md"
    before = article.read_text(encoding="utf-8")
    # The login form itself: no token, no login.
    refused = await client.post(
        "/login", data={"name": "ada", "password": PASSWORDS["ada"]}, allow_redirects=False
    )
    assert refused.status == 403
    await log_in(client, "ada")
    for data in ({}, {"csrf": "forged"}):
        response = await client.post("/knowledge/passport/review", data=data, allow_redirects=False)
        assert response.status == 403
        response = await client.post("/gaps/start", data={**data, "topic": "id-card"}, allow_redirects=False)
        assert response.status == 403
    assert article.read_text(encoding="utf-8") == before


async def test_roles_decide_pages_and_actions(client, world):
    await log_in(client, "eli")  # an editor: knowledge and gaps, review; no dashboard, no reload
    token = await csrf_from(client, "/knowledge")
    assert (await client.get("/dashboard")).status == 403
    assert (await client.get("/tickets/1")).status == 403
    assert (await client.get("/knowledge")).status == 200
    assert "/knowledge/reload" not in await (await client.get("/knowledge")).text()
    reload = await client.post("/knowledge/reload", data={"csrf": token}, allow_redirects=False)
    assert reload.status == 403
    assert not any(row["action"] in ("reload", "console_reload") for row in world[1].audit_log())

    client.session.cookie_jar.clear()
    await log_in(client, "sam")  # a supervisor: dashboard and tickets, no review
    token = await csrf_from(client, "/dashboard")
    assert (await client.get("/tickets")).status == 200
    review = await client.post("/knowledge/passport/review", data={"csrf": token}, allow_redirects=False)
    assert review.status == 403
    assert (await client.get("/knowledge/passport")).status == 403


async def test_an_admin_rebuilds_and_reloads(client, world):
    await log_in(client, "ada")
    token = await csrf_from(client, "/knowledge")
    response = await client.post("/knowledge/reload", data={"csrf": token})
    assert response.status == 200 and "reloaded: 4 articles" in await response.text()
    actions = [row["action"] for row in world[1].audit_log()]
    assert "reload" in actions and "console_reload" in actions


async def test_a_citizens_markup_shows_as_text(client):
    await log_in(client, "ada")
    page = await (await client.get("/tickets/1")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page and "<b>An operator</b>" not in page


async def test_wrong_passwords_lock_the_account(client):
    for _ in range(5):
        response = await log_in(client, "ada", "not-the-password")
        assert response.status == 401 and text("login_wrong", "az") in await response.text()
    refused = await log_in(client, "ada")  # the right password, too late
    assert refused.status == 401 and text("login_locked", "az") in await refused.text()
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_an_unknown_name_and_a_wrong_password_read_the_same(client):
    unknown = await (await log_in(client, "nobody", "whatever-1234")).text()
    wrong = await (await log_in(client, "sam", "whatever-1234")).text()
    strip = re.compile(r'name="csrf" value="[^"]+"')
    assert strip.sub("", unknown) == strip.sub("", wrong)


async def test_no_page_shows_an_unredacted_identifier(client):
    await log_in(client, "ada")
    seen = []
    for path in [*PAGES, "/knowledge/tax-debt-check", "/tickets?state=open", "/gaps?from=2020-01-01"]:
        response = await client.get(path)
        assert response.status == 200, path
        body = await response.text()
        seen.append(body)
        assert FIN not in body and "123 45 67" not in body and "501234567" not in body, path
    assert any("[FIN]" in body or "FIN" in body for body in seen)  # the case is there, redacted


async def test_the_card_preview_is_the_bots_own_rendering(client, world):
    _, _, helpdesk, _ = world
    await log_in(client, "ada")
    article = helpdesk.kb.by_topic["tax-debt-check"]
    for lang in ("az", "ru", "en"):
        page = await (await client.get(f"/knowledge/tax-debt-check?card={lang}")).text()
        rendered = reply_html(helpdesk.card_reply(article, lang))
        assert str(telegram_subset(rendered)) in page
        assert f"<b>{article.title[lang]}</b>" in page


async def test_mark_reviewed_writes_the_file_and_an_audit_row(client, world):
    settings, store, _, _ = world
    await log_in(client, "eli")
    page = await (await client.get("/knowledge/passport")).text()
    assert 'id="mark-reviewed"' in page
    token = await csrf_from(client, "/knowledge/passport")
    response = await client.post("/knowledge/passport/review", data={"csrf": token, "note": "fees checked"})
    assert response.status == 200
    written = (settings.articles_dir / "identity" / "passport.md").read_text(encoding="utf-8")
    assert (
        f'review: {{state: "reviewed", by: "eli", date: {dt.date.today().isoformat()}, note: "fees checked"}}'
        in written
    )
    body = await response.text()
    assert "kb_review" in body and "fees checked" in body
    assert any(row["action"] == "kb_review" and '"eli"' in row["detail"] for row in store.audit_log())


async def test_start_an_article_writes_the_kb_new_skeleton(client, world, tmp_path):
    settings, store, _, _ = world
    (settings.articles_dir / "identity" / "id-card.md").unlink()  # a covered topic with no article
    await log_in(client, "eli")
    page = await (await client.get("/gaps")).text()
    assert 'value="id-card"' in page and "call [PHONE]" in page  # the operators' draft beside
    token = await csrf_from(client, "/gaps")
    response = await client.post("/gaps/start", data={"csrf": token, "topic": "id-card"})
    assert response.status == 200 and "wrote id-card.md" in await response.text()
    from knowledge.editing import write_skeleton

    written = (settings.articles_dir / "identity" / "id-card.md").read_text(encoding="utf-8")
    write_skeleton(tmp_path / "same", settings.coverage_file, "id-card")
    assert written == (tmp_path / "same" / "identity" / "id-card.md").read_text(encoding="utf-8")
    again = await client.post("/gaps/start", data={"csrf": token, "topic": "id-card"})
    assert "already exists" in await again.text()
    assert any(row["action"] == "kb_new" for row in store.audit_log())


async def test_dashboard_figures_charts_and_csv(client, world):
    store = world[1]
    transcript = Transcript(store)
    for action in ("answer", "answer", "clarify", "refer", "smalltalk"):
        transcript.log(8, 8, "in", "question", lang="az", action=action, topic="tax-debt-check")
    for helpful in (False, True):
        answer_id = transcript.log(8, 8, "out", "card", lang="az", action="answer", topic="tax-debt-check")
        store.add_feedback(8, answer_id, "tax-debt-check", "az", helpful)
    await log_in(client, "sam")
    page = await (await client.get("/dashboard")).text()
    # Seven questions: two seeded by the case (handoff, answer) and these five.
    assert 'id="fig-questions">7<' in page
    assert 'id="fig-answered">43%<' in page and 'id="fig-handoff">14%<' in page
    assert 'id="fig-thumbs-down">50%<' in page and 'id="fig-open">1<' in page
    assert page.count('class="bar"') >= 5 + 2  # five actions on one day, topics and languages
    csv = await client.get("/dashboard.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = (await csv.text()).splitlines()
    assert lines[0] == "day,answer,clarify,refer,handoff,smalltalk"
    assert lines[1].endswith(",3,1,1,1,1")
    # A range before any message counts nothing.
    empty = await (await client.get("/dashboard?from=2020-01-01&to=2020-01-31")).text()
    assert 'id="fig-questions">0<' in empty


async def test_ticket_list_filters_and_the_case_page(client, world):
    await log_in(client, "sam")
    listed = await (await client.get("/tickets?state=open")).text()
    assert 'href="/tickets/1"' in listed
    assert 'href="/tickets/1"' not in await (await client.get("/tickets?state=closed")).text()
    case = await (await client.get("/tickets/1")).text()
    assert "tax-debt-check" in case and "0.31" in case  # what the bot tried
    assert "how to check tax debt" in case  # the transcript
    assert (await client.get("/tickets/999")).status == 404
    assert any(row["action"] == "console_view_case" for row in world[1].audit_log())


async def test_language_switch(client):
    await log_in(client, "sam")
    token = await csrf_from(client, "/dashboard")
    await client.post("/lang", data={"csrf": token, "lang": "ru", "back": "/tickets"})
    assert "Обращения" in await (await client.get("/tickets")).text()
    assert 'lang="ru"' in await (await client.get("/dashboard")).text()
    client.session.cookie_jar.clear()
    assert "Log in" in await (await client.get("/login?lang=en")).text()


def test_telegram_subset_keeps_bold_italic_links_only():
    kept = telegram_subset('<b>T</b> <i>x</i> <a href="https://e-gov.az">l</a> &lt;script&gt;')
    assert (
        str(kept)
        == '<b>T</b> <i>x</i> <a href="https://e-gov.az" rel="noopener noreferrer">l</a> &lt;script&gt;'
    )
    dropped = telegram_subset('<script>alert(1)</script><a href="javascript:x()">y</a><b onclick="z">w')
    assert str(dropped) == "alert(1)y<b>w</b>"


def test_percentile_and_sla_breach():
    assert percentile([], 0.9) is None
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([5.0], 0.5) == 5.0
    settings = Settings(_env_file=None, work_weekdays="0-6", work_start=dt.time(9), work_end=dt.time(18))
    hours = settings.working_hours()
    opened = dt.datetime(2026, 11, 25, 10, 0, tzinfo=hours.tz).timestamp()  # a Wednesday, at work
    night = dt.datetime(2026, 11, 25, 22, 0, tzinfo=hours.tz).timestamp()

    def ticket(opened_at: float, claimed_at: float | None) -> Ticket:
        state = "claimed" if claimed_at else "open"
        return Ticket(1, 1, 1, None, "az", None, "r", "q", (), None, state, None, None, None, None, None, None,
                      opened_at, opened_at, claimed_at, None)  # fmt: skip

    quick, slow, overnight = ticket_rows(
        [ticket(opened, opened + 600), ticket(opened, None), ticket(night, None)],
        hours,
        15,
        now=opened + 3600,
    )
    assert quick.waited == 600 and not quick.breached
    assert slow.waited == 3600 and slow.breached
    # Opened at 22:00, looked at before 09:00: nobody was due yet.
    assert overnight.waited == 0 and not overnight.breached


def test_figures_count_waits_and_csat(tmp_path):
    store = SqliteStore(tmp_path / "f.sqlite3")
    tickets = Tickets(store)
    for user in (1, 2, 3):
        ticket_id = tickets.request(TicketRequest(user, user, None, "az", None, "r", "q", [], None))
        tickets.open(ticket_id, user)
        tickets.claim(ticket_id, 50, "Op")
        tickets.close(ticket_id)
        tickets.rate(ticket_id, user, 3 + user % 3)  # 4, 5, 3
    today = dt.date.today()
    data = figures(store, today, today)
    assert data.ratings == 3 and data.csat == pytest.approx(4.0)
    assert data.median_wait is not None and data.median_wait < 5
    assert data.open_tickets == 0 and data.claimed_tickets == 0
    store.close()


async def test_serve_runs_the_console_beside_the_bot_when_a_port_is_set(world):
    import asyncio
    import socket

    import aiohttp

    from bot.telegram.app import build_dispatcher, make_bot
    from bot.telegram.fake_server import FakeTelegram

    settings, store, helpdesk, _ = world
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = await FakeTelegram().start()
    served = make_settings(
        settings, bot_token=fake.token, telegram_api_url=fake.base_url, console_port=port, kb_watch_seconds=0
    )
    bot = make_bot(served)
    dp = build_dispatcher(helpdesk, store, served, background_every=0.2)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        for _ in range(100):
            if fake.calls["getUpdates"]:
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http:
            page = await http.get(f"http://127.0.0.1:{port}/dashboard", allow_redirects=False)
            assert page.status == 303 and page.headers["Location"] == "/login"
            assert (await http.get(f"http://127.0.0.1:{port}/login")).status == 200
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 10)
        await fake.stop()
    async with aiohttp.ClientSession() as http:  # stopped with the bot
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.1:{port}/login")


def test_the_console_is_off_in_serve_by_default():
    assert Settings(_env_file=None).console_port is None


def contrast(foreground: str, background: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_colours_have_enough_contrast():
    from importlib.resources import files

    from bot.web.dashboard import ACTION_COLOURS

    css = files("bot.web").joinpath("templates/console.css").read_text(encoding="utf-8")
    # Text, links, buttons (white on blue), errors, drafts, meta text: each at least 4.5:1 on its ground.
    pairs = [("#1a1a1a", "#ffffff"), ("#0b4f9c", "#ffffff"), ("#ffffff", "#0b4f9c"), ("#a31515", "#ffffff")]
    pairs += [("#8a4b00", "#ffffff"), ("#44505e", "#f1f4f8"), ("#0b4f9c", "#f1f4f8"), ("#1a1a1a", "#eef6ec")]
    for foreground, background in pairs:
        assert foreground in css and background in css
        assert contrast(foreground, background) >= 4.5, (foreground, background)
    for colour in ACTION_COLOURS.values():
        assert contrast(colour) >= 4.5, colour
