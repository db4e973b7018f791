"""Hostile updates through the real Dispatcher, the operators' side (issue 7): hostile messages,
names and forged topic and reply ids in the operators' chat never reach the error router, fit
Telegram's limits, and leave no planted identifier in SQLite. The world and the strategies are in
tests/telegram_world.py; the citizens' side is test_telegram_properties.py."""

from hypothesis import example, given, settings
from hypothesis import strategies as st
from telegram_world import ADMIN, BOT_USER, BUDGET, COLLEAGUE, HUGE, OP_STEP, OPERATOR


@settings(BUDGET, max_examples=150)  # the dearest examples: a ticket, a relay, up to three steps
@given(forum=st.booleans(), steps=st.lists(OP_STEP, min_size=1, max_size=3))
# Each found here: "/transfer ²" and an id past SQLite's INTEGER raised; "already taken by <Anar>"
# and "/transfer <user id>" were unescaped HTML; an operator's or colleague's name was stored raw.
@example(
    forum=True,
    steps=[
        (OPERATOR, ("Op", None), "/transfer", ("²", None), "topic", None),
        (OPERATOR, ("Op", None), "/transfer", (HUGE, None), "topic", "bot"),
        (OPERATOR, ("Op", None), "/transfer", ("", None), "topic", None),
    ],
)
@example(
    forum=False,
    steps=[
        (COLLEAGUE, ("<Anar>", None), "/take", ("", None), "card", None),
        (OPERATOR, ("Op", None), "/take", ("", None), "relay", None),
    ],
)
@example(
    forum=True,
    steps=[
        (OPERATOR, ("Op\n5ZXK4PT", "5ZXK4PT"), "", ("salam", None), "topic", None),
        (OPERATOR, ("C\nAZE12345678", "AZE12345678"), "/transfer", ("", None), "topic", "colleague"),
        (ADMIN, ("Admin", None), "/reload", ("", None), "nowhere", None),
    ],
)
def test_operator_chat_with_hostile_messages_and_forged_ids(world, forum, steps):
    with world.example(
        *[s for _, (_, name_secret), _, (_, text_secret), _, _ in steps for s in (name_secret, text_secret)]
    ):
        world.handoff.forum = forum  # forum topics, or the reply-based relay
        citizen = next(world.users)
        ticket = world.open_ticket(citizen)
        world.say(citizen, "Mənim pensiyam gecikir")  # relayed: a copy to reply to
        for user, (name, _), command, (text, _), where, reply in steps:
            reply_from = {
                "bot": BOT_USER,
                "colleague": {"id": COLLEAGUE, "is_bot": False, "first_name": name or "C"},
                None: None,
            }[reply]
            world.operator_says(
                user, f"{command} {text}" if command else text, ticket, where, name, reply_from
            )
