"""A Bot API server on 127.0.0.1 for end-to-end tests and benchmarks (never used by the bot).

Telegram's own servers cannot be reached here, so this stands in for them as faithfully as the
tests need: the real HTTP protocol of the Bot API (``POST /bot<token>/<method>``, form or JSON
parameters, ``{"ok": ..., "result": ...}`` answers, 429 with ``retry_after``), long polling with
``getUpdates`` and offsets, and message objects that aiogram parses as it would Telegram's.
Tests push updates in and read what the bot sent out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 42, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_test_bot"}


@dataclass
class Sent:
    method: str
    params: dict
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int:
        return int(self.params.get("chat_id", 0))

    @property
    def thread_id(self) -> int | None:
        value = self.params.get("message_thread_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def markup(self) -> dict:
        return self.params.get("reply_markup") or {}

    def buttons(self) -> list[dict]:
        return [b for row in self.markup.get("inline_keyboard", []) for b in row]


class FakeTelegram:
    def __init__(self, token: str = "123456:" + "A" * 35, first_update_id: int = 1) -> None:
        self.token = token
        self.updates: list[dict] = []
        self.confirmed = 0  # the highest update_id the bot has acknowledged
        self.sent: list[Sent] = []
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.fail: dict[str, list[int]] = defaultdict(list)  # method -> retry_after values (429)
        self.broken: dict[str, list[int]] = defaultdict(list)  # method -> HTTP statuses (5xx)
        self.garbage: dict[str, list[str]] = defaultdict(list)  # method -> raw bodies sent with 200
        # (a run on a database kept from an earlier one starts past that one's ids)
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()
        self._new_sent = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.base_url = ""
        self.forum = True  # does the operators' supergroup have topics?
        self.topics: dict[int, str] = {}
        self._thread_ids = itertools.count(500)
        self.webhook: dict = {}  # the last setWebhook's parameters

    # server --------------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]  # the port the system gave the listening socket
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params = {}
        for key, value in form.items():
            if isinstance(value, str) and value[:1] in "{[":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls[method] += 1
        if self.garbage[method]:
            return web.Response(text=self.garbage[method].pop(0), content_type="application/json")
        if self.broken[method]:
            status = self.broken[method].pop(0)
            return web.json_response(
                {"ok": False, "error_code": status, "description": "Internal Server Error"}, status=status
            )
        if self.fail[method]:
            retry_after = self.fail[method].pop(0)
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        handler = getattr(self, f"_m_{method}", None)
        result = await handler(params) if handler else True
        return web.json_response({"ok": True, "result": result})

    # Bot API methods -----------------------------------------------------------------------
    async def _m_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _m_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        # An offset confirms every earlier update: Telegram will not deliver them again.
        self.confirmed = max(self.confirmed, offset - 1)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout:
            async with self._new_update:
                try:
                    await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
                except TimeoutError:
                    pass
        return list(self.updates[:100])

    async def _record(self, method: str, params: dict) -> dict:
        sent = Sent(method, params)
        self.sent.append(sent)
        async with self._new_sent:
            self._new_sent.notify_all()
        chat_id = int(params.get("chat_id", 0))
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        sent.params["message_id"] = message["message_id"]
        return message

    async def _m_sendMessage(self, params: dict) -> dict:
        return await self._record("sendMessage", params)

    async def _m_editMessageText(self, params: dict) -> dict:
        return await self._record("editMessageText", params)

    async def _m_sendDocument(self, params: dict) -> dict:
        document: Any = params.get("document")  # an attach:// name, or the form field itself
        if isinstance(document, str) and document.startswith("attach://"):  # aiogram's multipart form
            document = params.get(document.removeprefix("attach://"))
        content = b""
        if hasattr(document, "file"):
            document.file.seek(0)
            content = document.file.read()
        params = {**params, "document": content}
        message = await self._record("sendDocument", params)
        message["document"] = {"file_id": "doc", "file_unique_id": "doc", "file_name": "data.json"}
        return message

    async def _m_copyMessage(self, params: dict) -> dict:
        # _record gives the copy its own message_id: the original's is kept as source_message_id
        sent = await self._record("copyMessage", {**params, "source_message_id": params.get("message_id")})
        return {"message_id": sent["message_id"]}

    async def _m_createForumTopic(self, params: dict) -> dict:
        if not self.forum:
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {"ok": False, "error_code": 400, "description": "Bad Request: the chat is not a forum"}
                ),
                content_type="application/json",
            )
        thread_id = next(self._thread_ids)
        self.topics[thread_id] = params.get("name", "")
        return {"message_thread_id": thread_id, "name": params.get("name", ""), "icon_color": 7322096}

    async def _m_getChat(self, params: dict) -> dict:
        chat_id = int(params.get("chat_id", 0))
        if chat_id < 0:
            return {
                "id": chat_id,
                "type": "supergroup",
                "title": "Operators",
                "is_forum": self.forum,
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        return {
            "id": chat_id,
            "type": "private",
            "first_name": "Citizen",
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_answerCallbackQuery(self, params: dict) -> bool:
        await self._record("answerCallbackQuery", params)
        return True

    async def _m_getWebhookInfo(self, params: dict) -> dict:
        url = self.webhook.get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_setWebhook(self, params: dict) -> bool:
        self.webhook = dict(params)  # deliver with bot.telegram.fake_webhook.WebhookPusher
        return True

    # test helpers ----------------------------------------------------------------------------
    async def push(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        async with self._new_update:
            self._new_update.notify_all()
        return update

    def message_update(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        edited: bool = False,
        thread_id: int | None = None,
        **content,
    ) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id or user_id, "type": chat_type},
            "from": {"id": user_id, "is_bot": False, "first_name": "Citizen", "language_code": "az"},
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if edited:
            message["edit_date"] = int(time.time())
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        message.update(content)
        return {"edited_message" if edited else "message": message}

    async def send_text(self, user_id: int, text: str, **kwargs) -> dict:
        return await self.push(self.message_update(user_id, text, **kwargs))

    async def press(self, user_id: int, data: str, message_text: str = "") -> dict:
        return await self.push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "chat_instance": "1",
                    "from": {"id": user_id, "is_bot": False, "first_name": "Citizen"},
                    "message": {
                        "message_id": next(self._message_ids),
                        "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private"},
                        "from": BOT_USER,
                        "text": message_text,
                    },
                    "data": data,
                }
            }
        )

    def sent_to(self, chat_id: int, method: str | tuple = "sendMessage") -> list[Sent]:
        methods = (method,) if isinstance(method, str) else method
        return [s for s in self.sent if s.chat_id == chat_id and s.method in methods]

    async def wait_sent(
        self, chat_id: int, count: int = 1, method: str | tuple = "sendMessage", timeout: float = 30.0
    ) -> list[Sent]:
        """Wait until ``count`` calls of ``method`` reached ``chat_id``; return them all."""

        async def ready() -> list[Sent]:
            while len(self.sent_to(chat_id, method)) < count:
                async with self._new_sent:
                    await self._new_sent.wait()
            return self.sent_to(chat_id, method)

        return await asyncio.wait_for(ready(), timeout)

    def callback_answers(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "answerCallbackQuery"]
