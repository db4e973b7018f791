"""Hostile updates through the real Dispatcher (issue 7): arbitrary Unicode, huge, empty and hostile
input (bidi overrides, zalgo, null bytes, giant captions, forged callback data, forged topic and
reply ids) never reaches the error router, every request the bot makes fits Telegram's limits and
its HTML parser, every callback is answered once, and an identifier planted in a text or a
name is never stored in SQLite (the operators' live copyMessage may carry it; stored rows may not).

One Dispatcher per module (tiny KB, HashingEmbedder, SQLite on a tmp path; tests/telegram_world.py)
on one event loop. Each example feeds updates with ``dp.feed_update``, so the real middlewares, routers and handlers run; the
bot's requests go to a FakeTelegram on 127.0.0.1 that records them. The store is emptied before each
example, so a failure shrinks alone. Fixed seed, bounded budget; ``@example`` pins bugs found here.
The operators' chat is tested in test_telegram_properties_relay.py.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st
from telegram_world import BODY, BUDGET, DATA, HUGE, NAME, OPERATOR


@BUDGET
@given(
    kind=st.sampled_from(["text", "text", "text", "edited", "photo", "document", "voice"]),
    body=BODY,
    name=NAME,
    ticket=st.sampled_from(["none", "before", "after"]),
)
# A long question on the operators' card; a phone number in a Telegram name (both were found here).
@example(
    kind="text",
    body=("How do I check my tax debt? " * 200, None),
    name=("Anar\n+994 50 123 45 67", "+994 50 123 45 67"),
    ticket="after",
)
@example(kind="text", body=("bax https://a&b.az", None), name=("Citizen", None), ticket="none")
@example(
    kind="photo", body=("🙂" * 2100, None), name=("Citizen", None), ticket="before"
)  # a forged giant caption
def test_private_messages_of_any_kind(world, kind, body, name, ticket):
    """Texts, edits, commands, and media whose caption is the body (none when it is empty)."""
    (text, secret), (name, name_secret) = body, name
    with world.example(secret if kind != "voice" else None, name_secret):
        user = next(world.users)
        if ticket == "before":  # then whatever the citizen sends is relayed to the operators
            world.open_ticket(user, name)
        if kind in ("text", "edited"):
            world.say(user, text, name, edited=kind == "edited")
        elif kind == "voice":
            world.say(user, None, name, voice={"file_id": "v", "file_unique_id": "v", "duration": 1})
        else:
            media = (
                {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
                if kind == "photo"
                else {"document": {"file_id": "d", "file_unique_id": "d"}}
            )
            world.say(user, None, name, **media, **({"caption": text} if text else {}))
        if ticket == "after":  # the message becomes the question on the operators' card
            world.open_ticket(user, name)


def forge(data, real: list[str]) -> str:
    """Callback data from DATA: text as it is, or (pick, index, part) applied to a real button."""
    if isinstance(data, str):
        return data
    pick, index, part = data
    parts = real[pick % len(real)].split(":") if real else [""]
    if index and len(parts) > 1:  # index 0 keeps the real button as it is
        where = 1 + (index - 1) % (len(parts) - 1)
        parts[where : where + 1] = [] if part is None else [part]
    return ":".join(parts)


@settings(BUDGET, max_examples=300)  # cheap examples, and forgeries need many to reach every handler
@given(
    setup=st.sampled_from(["/start", "sector", "asked", "consent", "closed", "/forget"]),
    data=DATA,
    presser=st.sampled_from(["owner", "stranger", "operator"]),
    ops=st.booleans(),
    accessible=st.booleans(),
)
# "closed" sends h:T:1, h:T:0, r:T:1..5, ro:T: a ticket id past SQLite's INTEGER (found here).
@example(setup="closed", data=(0, 1, HUGE), presser="owner", ops=False, accessible=True)
@example(setup="closed", data=(3, 1, HUGE), presser="owner", ops=False, accessible=True)
@example(setup="closed", data=(7, 0, None), presser="owner", ops=False, accessible=True)  # a real reopen
@example(setup="closed", data=(7, 1, HUGE), presser="owner", ops=False, accessible=False)
def test_forged_callbacks_are_answered_politely(world, setup, data, presser, ops, accessible):
    with world.example():
        owner = next(world.users)
        if setup == "closed":  # rating and reopen buttons
            ticket = world.open_ticket(owner)
            world.operator_says(OPERATOR, "/close", ticket, "topic" if ticket.thread_id else "card")
        else:
            world.say(
                owner,
                {"asked": "How do I check my tax debt?", "consent": "/operator", "sector": "/menu"}.get(
                    setup, setup
                ),
            )
        if setup == "sector":  # topic buttons too
            world.press(owner, "s:taxes")
        user = {"owner": owner, "stranger": next(world.users), "operator": OPERATOR}[presser]
        query_id = world.press(user, forge(data, world.buttons(owner)), ops=ops, accessible=accessible)
    answers = [s for s in world.fake.callback_answers() if s.params["callback_query_id"] == query_id]
    # Every button, forged or stale, gets its one answer, in private chats and in the operators'
    # group (which has no buttons of the bot's: a press there is told there is nothing to do).
    assert len(answers) == 1
