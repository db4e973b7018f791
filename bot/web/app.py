"""The staff console: an aiohttp app, server-rendered with Jinja2 (autoescape on), login required.

Every request passes :func:`guard`: the session from the cookie (``/login`` and the stylesheet
excepted, anything else redirects there), the CSRF token on every POST (403 otherwise) and the
page language. Each view says which permission it needs (:func:`needs`); a role without it gets
the 403 page. Every staff action is written to the audit table with the staff member's name.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import jinja2
from aiohttp import web

from bot.config import Settings
from bot.ops.reload import Reloader
from bot.redact import redact
from bot.serving import HelpdeskRef
from bot.storage.base import Store
from bot.web.i18n import LANG_NAMES, LANGS, text
from bot.web.staff import (
    LoginRefused,
    Sessions,
    StaffAccounts,
    StaffSession,
    allows,
    audit_detail,
    csrf_ok,
    staff_services,
)

log = logging.getLogger(__name__)

SESSION_COOKIE = "helpdesk_console"
LOGIN_CSRF_COOKIE = "helpdesk_console_login"
LANG_COOKIE = "helpdesk_console_lang"
PUBLIC_PATHS = ("/login", "/static/console.css", "/favicon.ico")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HelpdeskSource = HelpdeskRef | Callable[[], HelpdeskRef]


@dataclass
class Console:
    """What the views share: settings, the store, the staff accounts and sessions, the helpdesk."""

    settings: Settings
    store: Store
    accounts: StaffAccounts
    sessions: Sessions
    templates: jinja2.Environment
    source: HelpdeskSource
    reloader: Reloader | None = None
    _ref: HelpdeskRef | None = None
    _loading: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def helpdesk_ref(self) -> HelpdeskRef:
        """The helpdesk being served; a standalone console loads it on first need, in a thread."""
        if self._ref is None:
            async with self._loading:
                if self._ref is None:
                    source = self.source
                    self._ref = source if isinstance(source, HelpdeskRef) else await asyncio.to_thread(source)
        return self._ref

    async def reloader_now(self) -> Reloader:
        if self.reloader is None:
            self.reloader = Reloader(self.settings, await self.helpdesk_ref(), self.store)
        return self.reloader

    def audit(self, session: StaffSession, action: str, ticket_id: int | None = None, **detail: Any) -> None:
        """One audit row; ``actor_id`` is for Telegram users, so staff are named in the detail."""
        self.store.audit(None, action, ticket_id, audit_detail(session.staff.name, **detail))


CONSOLE = web.AppKey("console", Console)
# The guard's findings for the views: the session (None on /login when logged out), the page language.
SESSION: web.RequestKey[StaffSession | None] = web.RequestKey("session")
LANG: web.RequestKey[str] = web.RequestKey("lang")


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def session_of(request: web.Request) -> StaffSession:
    """The logged-in member's session (the guard has let only those through)."""
    session = request[SESSION]
    assert session is not None
    return session


def needs(permission: str) -> Callable[[Handler], Handler]:
    """The view is for roles that have ``permission``; anyone else sees the 403 page."""

    def decorate(view: Handler) -> Handler:
        @wraps(view)
        async def checked(request: web.Request) -> web.StreamResponse:
            if not allows(session_of(request).staff.role, permission):
                return render(request, "error.html", status=403, message=text("forbidden", request[LANG]))
            return await view(request)

        return checked

    return decorate


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    lang: str = request[LANG]
    session: StaffSession | None = request.get(SESSION)
    page = (
        console_of(request)
        .templates.get_template(template)
        .render(
            t=lambda key: text(key, lang),
            lang=lang,
            langs=LANG_NAMES,
            session=session,
            csrf=session.csrf_token if session else "",
            may=(lambda permission: allows(session.staff.role, permission)) if session else (lambda _: False),
            path=request.path,
            **context,
        )
    )
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    _security_headers(response)
    return response


def _security_headers(response: web.StreamResponse) -> None:
    # Nothing runs but our own stylesheet; the page is never framed (clickjacking) nor cached.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"


def _page_lang(request: web.Request, session: StaffSession | None) -> str:
    chosen = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    return session.staff.lang if session and session.staff.lang in LANGS else "az"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    console = console_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = console.sessions.get(token) if token else None
    request[SESSION] = session
    request[LANG] = _page_lang(request, session)
    if request.path not in PUBLIC_PATHS:
        if session is None:
            raise web.HTTPSeeOther("/login")
        if request.method == "POST":
            form = await request.post()
            submitted = form.get("csrf")
            if not csrf_ok(session, submitted if isinstance(submitted, str) else None):
                log.warning("refused a POST to %r without a valid CSRF token", request.path)
                return render(request, "error.html", status=403, message=text("forbidden", request[LANG]))
    return await handler(request)


# login, logout, language --------------------------------------------------------------------------
async def login_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    if request.get(SESSION) is not None and error is None:
        raise web.HTTPSeeOther("/")
    # One token per browser until it logs in: a second tab (or the favicon's redirect) keeps it.
    kept = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    login_csrf = kept if 20 <= len(kept) <= 64 and kept.isascii() else secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, login_csrf=login_csrf, error=error)
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, login_csrf, max_age=3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    # Before a session exists, the login form is protected by a double-submit token.
    cookie, submitted = request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")
    if not cookie or not isinstance(submitted, str) or not secrets.compare_digest(cookie, submitted):
        return render(request, "error.html", status=403, message=text("forbidden", request[LANG]))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    try:
        member = console.accounts.authenticate(name, password, remote=request.remote or "?")
    except LoginRefused as refused:
        return await login_page(request, error=text(f"login_{refused.reason}", request[LANG]), status=401)
    token = console.sessions.open(member)
    response = web.HTTPSeeOther("/")
    _set_cookie(
        request, response, SESSION_COOKIE, token, max_age=int(console.settings.staff_session_minutes * 60)
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    console.sessions.close(request.cookies.get(SESSION_COOKIE, ""))  # (audited there: staff_logout)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def switch_language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    lang = str(form.get("lang", ""))
    back = str(form.get("back", "/"))
    response = web.HTTPSeeOther(back if back.startswith("/") and not back.startswith("//") else "/")
    if lang in LANGS:
        _set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 86400)
    raise response


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    secure = console_of(request).settings.console_secure_cookies
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="Strict", secure=secure
    )


async def home(request: web.Request) -> web.StreamResponse:
    """The first page the role may see."""
    role = session_of(request).staff.role
    for permission, target in (("view_dashboard", "/dashboard"), ("view_knowledge", "/knowledge")):
        if allows(role, permission):
            raise web.HTTPSeeOther(target)
    return render(request, "error.html", status=403, message=text("forbidden", request[LANG]))


async def stylesheet(_: web.Request) -> web.Response:
    from importlib.resources import files

    css = files("bot.web").joinpath("templates/console.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def no_icon(_: web.Request) -> web.Response:
    return web.Response(status=204)


@web.middleware
async def not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if LANG not in request:
            request[LANG] = "az"
        return render(request, "error.html", status=404, message=text("not_found", request[LANG]))


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every value is escaped unless a view marks it safe (the card preview only)
        undefined=jinja2.StrictUndefined,
    )
    # Identifiers were redacted before storage; redacting again on the page is the second lock.
    env.filters["redact"] = lambda value: redact(str(value)) if value is not None else ""
    env.filters["when"] = lambda ts: time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "–"
    env.filters["minutes"] = lambda seconds: "–" if seconds is None else f"{seconds / 60:.0f}"
    env.filters["share"] = lambda value: "–" if value is None else f"{value:.0%}"
    return env


def console_app(
    settings: Settings,
    store: Store,
    helpdesk: HelpdeskSource,
    *,
    reloader: Reloader | None = None,
    accounts: StaffAccounts | None = None,
    sessions: Sessions | None = None,
) -> web.Application:
    """The console on ``store``; ``helpdesk`` is the served HelpdeskRef or a loader of one."""
    from bot.web import views_kb, views_ops

    app = web.Application(middlewares=[not_found, guard], client_max_size=256 * 1024)
    default_accounts, default_sessions = staff_services(store, settings)
    app[CONSOLE] = Console(
        settings=settings,
        store=store,
        accounts=accounts or default_accounts,
        sessions=sessions or default_sessions,
        templates=templates(),
        source=helpdesk,
        reloader=reloader,
    )
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/lang", switch_language)
    app.router.add_get("/", home)
    app.router.add_get("/static/console.css", stylesheet)
    app.router.add_get("/favicon.ico", no_icon)
    views_ops.register(app.router)
    views_kb.register(app.router)
    return app
