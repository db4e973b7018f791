"""The Telegram face of the helpdesk (aiogram 3): routers per audience, keyboards, middlewares."""
