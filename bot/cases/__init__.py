"""The operators' side without Telegram: tickets and their states, working hours."""
