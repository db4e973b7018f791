"""The admins' router: commands only the helpdesk's admins may give, in the operators' chat.

A router-level filter admits the admins alone; anyone else's ``/reload`` falls through to the
operators' router, which refuses it politely.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.ops.reload import Reloader
from bot.telegram.operator import sender


async def on_reload(message: Message, reloader: Reloader) -> None:
    """Move the bot to the edited knowledge base (the old one serves meanwhile)."""
    await message.reply("⏳ reloading the knowledge base…")
    outcome = await reloader.reload(actor=sender(message).id)
    await message.reply(("✅ " if outcome.ok else "❌ ") + html.escape(outcome.message))


def make_router(operators_chat_id: int, admin_ids: frozenset[int] | set[int] | list[int]) -> Router:
    router = Router(name="admins")
    admins = frozenset(admin_ids)
    router.message.filter(F.chat.id == operators_chat_id, F.from_user.id.in_(admins))
    router.message.register(on_reload, Command("reload"))
    return router
