"""The staff console: staff accounts and sessions (:mod:`bot.web.staff`) and the aiohttp pages.

Telegram-free: nothing here imports aiogram, bot.telegram, bot.tools or bot.cli, and the database
is reached only through the :class:`bot.storage.base.Store` protocol.
"""
