"""The contract of ``bot.storage.base.Store``: what any backend must do, tested only through the protocol.

``store_backend`` yields each backend on a fresh database (today only SQLite, on a temporary file);
a second backend is one more entry of ``BACKENDS`` (tests/store_backends.py; the fixture is in
conftest.py) and runs the same suite, here and in test_store_contract_reads.py. Nothing here looks inside a
backend (no SQL, no ``.db``): what is checked is only what the bot can observe.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from store_backends import new_ticket

from bot.cases.tickets import Draft, Relay, Ticket, TicketError, TicketRequest, Tickets
from bot.storage import base

ROOT = Path(__file__).resolve().parent.parent


# The boundary, by reading the source ----------------------------------------------------------------
# A store's insides, reached from outside bot/storage: its private helpers, its lock, its database.
STORE_INSIDES = re.compile(
    r"\bstore\._\w+"  # store._write, self.store._lock, ...
    r"|(?<!self)\._(?:write|insert|lock|transaction)\b"  # any other object's write helpers or lock
    r"|\bstore\.(?:db|writer)\b"  # the sqlite-utils database or the store's writer
    r"|\.db\.(?:query|execute|conn|table|tables|table_names)\b"  # sqlite-utils reached through anything
)


def test_the_boundary_pattern_catches_what_it_should():
    for line in (
        "self.store._write('UPDATE tickets ...')",
        "with self.store._lock, self.db.conn:",
        "store.db.query('SELECT 1')",
        "rows = self.db.query(sql)",
        "tickets.store.writer.execute(sql)",
        "other._lock.acquire()",
    ):
        assert STORE_INSIDES.search(line), line
    for line in ("with self._lock:", "store.audit(None, 'x')", "writer = csv.writer(buffer)"):
        assert not STORE_INSIDES.search(line), line


def test_nothing_outside_storage_reaches_into_a_store():
    sources = [
        p
        for folder in ("bot", "scripts")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if "storage" not in p.relative_to(ROOT).parts[:2]
    ]
    assert len(sources) > 20  # the tree was found
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STORE_INSIDES.search(line)
    ]
    assert found == []


def test_the_backend_has_every_method_of_the_protocol(store_backend):
    names = [n for n, v in vars(base.Store).items() if callable(v) and not n.startswith("_")]
    assert len(names) > 50
    assert [n for n in names if not callable(getattr(store_backend, n, None))] == []


# Citizens, transcript, audit --------------------------------------------------------------------------
def test_consent_and_language(store_backend):
    store = store_backend
    assert store.user(5) is None and store.language(5) is None
    store.touch_user(5)
    assert store.user(5)["consent_at"] is None and store.language(5) is None
    store.set_language(5, "ru")
    store.set_consent(5)
    user = store.user(5)
    assert user["lang"] == "ru" and user["consent_at"] is not None


def test_transcript_append_and_read(store_backend):
    store = store_backend
    first = store.log_message(7, 7, "in", "FIN 5ZXK4PT, vergi borcum var?", lang="az", intent="tax")
    second = store.log_message(7, 7, "out", "Cavab", action="answer", topic="tax-debt-check", confidence=0.9)
    store.log_message(8, 8, "in", "someone else")
    rows = store.messages(7)
    assert [r["id"] for r in rows] == [first, second]
    assert [r["direction"] for r in rows] == ["in", "out"]
    assert "5ZXK4PT" not in rows[0]["text"] and rows[0]["lang"] == "az" and rows[0]["intent"] == "tax"
    assert rows[1]["action"] == "answer" and rows[1]["topic"] == "tax-debt-check"
    with pytest.raises(ValueError):
        store.log_message(7, 7, "sideways", "x")


def test_feedback_is_one_vote_per_answer(store_backend):
    store = store_backend
    answer = store.log_message(7, 7, "out", "Cavab", topic="tax-debt-check")
    assert store.add_feedback(7, answer, "tax-debt-check", "az", True)
    store.add_feedback(7, answer, "tax-debt-check", "az", False)  # changed their mind
    assert [(f["message_id"], f["helpful"]) for f in store.feedback()] == [(answer, 0)]


def test_audit_rows(store_backend):
    store = store_backend
    store.audit(77, "take", 3)
    store.audit(None, "note", 3, "called +994 50 123 45 67")
    log = store.audit_log()
    assert [(r["actor_id"], r["action"], r["ticket_id"]) for r in log] == [(77, "take", 3), (None, "note", 3)]
    assert log[0]["detail"] == "" and "123 45 67" not in log[1]["detail"]


def test_export_forget_purge_and_backup(store_backend, tmp_path):
    store = store_backend
    tickets = Tickets(store)
    store.touch_user(5, "az")
    answer = store.log_message(5, 5, "out", "Cavab")
    store.add_feedback(5, answer, None, "az", True)
    ticket_id = new_ticket(tickets, user=5)
    store.audit(5, "mydata")
    mine = store.export_user(5)
    assert mine["user"]["user_id"] == 5 and len(mine["messages"]) == len(mine["feedback"]) == 1
    assert [t["id"] for t in mine["tickets"]] == [ticket_id]
    copy = store.backup(tmp_path / "backup" / "copy.bin")
    assert copy["integrity"] == "ok" and copy["messages"] == 1 and copy["tickets"] == 1
    assert store.purge_older_than(1) == 0  # nothing is a day old yet
    counts = store.forget_user(5)
    assert counts["messages"] == counts["feedback"] == counts["tickets"] == counts["users"] == 1
    assert store.user(5) is None and store.messages(5) == [] and tickets.get(ticket_id) is None
    assert store.audit_log() == []


# Tickets ----------------------------------------------------------------------------------------------
def test_a_tickets_life(store_backend):
    tickets = Tickets(store_backend)
    ticket_id = new_ticket(tickets)
    ticket = tickets.get(ticket_id)
    assert ticket.state == "consent" and "5ZXK4PT" not in ticket.question
    assert tickets.active_for(1) is None
    with pytest.raises(TicketError):
        tickets.open(ticket_id, user_id=2)  # someone else's request
    assert tickets.open(ticket_id, 1).state == "open"
    with pytest.raises(TicketError):
        tickets.open(ticket_id, 1)  # consent is given once
    assert tickets.active_for(1).id == ticket_id and tickets.queue_position(ticket_id) == 1
    taken = tickets.claim(ticket_id, 77, "Operator A")
    assert taken.state == "claimed" and taken.operator_name == "Operator A"
    with pytest.raises(TicketError, match="already taken by Operator A"):
        tickets.claim(ticket_id, 78, "Operator B")
    with pytest.raises(TicketError):
        tickets.release(ticket_id, 78)
    tickets.release(ticket_id, 77)
    assert tickets.get(ticket_id).state == "open" and tickets.get(ticket_id).operator_id is None
    tickets.claim(ticket_id, 78, "Operator B")
    closed = tickets.close(ticket_id)
    assert closed.state == "closed" and closed.closed_at is not None
    assert tickets.active_for(1) is None
    with pytest.raises(TicketError):
        tickets.close(ticket_id)
    with pytest.raises(TicketError):
        tickets.claim(ticket_id, 77, "Operator A")
    with pytest.raises(TicketError):
        tickets.reopen(ticket_id, 2)
    assert not tickets.rate(ticket_id, 1, 0) and not tickets.rate(ticket_id, 2, 5)
    assert tickets.rate(ticket_id, 1, 5) and tickets.get(ticket_id).rating == 5
    reopened = tickets.reopen(ticket_id, 1)
    assert reopened.state == "open" and reopened.closed_at is None
    assert not tickets.rate(ticket_id, 1, 4)  # only a closed ticket is rated
    assert [t.id for t in tickets.all()] == [ticket_id]


def test_of_two_claims_read_at_once_only_the_first_write_wins(store_backend):
    """Two operators on two workers both read the ticket as open, then both press "take"."""
    tickets = Tickets(store_backend)
    ticket_id = new_ticket(tickets)
    tickets.open(ticket_id, 1)
    assert store_backend.claim_ticket(ticket_id, 77, "Operator A", held_by=None)
    assert not store_backend.claim_ticket(ticket_id, 78, "Operator B", held_by=None)
    assert tickets.get(ticket_id).operator_name == "Operator A"
    # A forced take-over names whom it takes from; a stale one loses to a newer claim.
    assert store_backend.claim_ticket(ticket_id, 79, "Operator C", held_by=77)
    assert not store_backend.claim_ticket(ticket_id, 78, "Operator B", held_by=77)
    assert tickets.get(ticket_id).operator_id == 79
    tickets.close(ticket_id)
    assert not store_backend.claim_ticket(ticket_id, 79, "Operator C", held_by=79)  # closed


def test_the_loser_of_a_claim_race_is_told_who_won(store_backend, monkeypatch):
    tickets = Tickets(store_backend)
    ticket_id = new_ticket(tickets)
    tickets.open(ticket_id, 1)
    stale = tickets.get(ticket_id)  # what this worker read: open, nobody's
    store_backend.claim_ticket(ticket_id, 77, "Operator A")  # another worker, right after our read
    first_read = iter([stale])  # Tickets.claim's own read sees the stale row, later ones the truth
    monkeypatch.setattr(tickets, "get", lambda _id: next(first_read, None) or store_backend.ticket(_id))
    with pytest.raises(TicketError, match="already taken by Operator A"):
        tickets.claim(ticket_id, 78, "Operator B")
    assert store_backend.ticket(ticket_id).operator_id == 77


def test_declined_and_replaced_requests(store_backend):
    tickets = Tickets(store_backend)
    first = new_ticket(tickets)
    second = new_ticket(tickets)
    assert tickets.get(first).state == "declined" and tickets.get(second).state == "consent"
    tickets.decline(second, user_id=2)  # not theirs: nothing happens
    assert tickets.get(second).state == "consent"
    tickets.decline(second, 1)
    assert tickets.get(second).state == "declined"
    with pytest.raises(TicketError):
        tickets.open(second, 1)
    assert tickets.all() == [] and len(tickets.all(("declined",))) == 2


def test_ticket_lookups_queue_and_reminders(store_backend):
    tickets = Tickets(store_backend)
    ids = [new_ticket(tickets, user) for user in (1, 2, 3)]
    for user, ticket_id in zip((1, 2, 3), ids):
        tickets.open(ticket_id, user)
    assert [tickets.queue_position(i) for i in ids] == [1, 2, 3]
    tickets.set_topic(ids[0], 900, 901)
    tickets.set_topic(ids[1], None, 902)
    assert tickets.by_thread(900).id == ids[0] and tickets.by_thread(1) is None
    assert tickets.by_operator_message(902).id == ids[1]
    assert tickets.median_wait_seconds(300) == 300  # fewer than three claimed yet
    for ticket_id in ids:
        tickets.claim(ticket_id, 5, "Op")
    assert 0 <= tickets.median_wait_seconds(300) < 60
    assert store_backend.active_ticket_count() == 3
    tickets.release(ids[2], 5)
    assert [t.id for t in tickets.unclaimed_older_than(-60)] == [ids[2]]
    assert tickets.unclaimed_older_than(3600) == []
    tickets.mark_reminded(ids[2])
    assert tickets.unclaimed_older_than(-60) == []


def test_relay_outbox_and_drafts(store_backend):
    tickets = Tickets(store_backend)
    ticket_id = new_ticket(tickets)
    tickets.open(ticket_id, 1)
    relay = tickets.queue_relay(ticket_id, "to_operators", 1, 55, 1, "telefon 050 123 45 67")
    assert relay is not None
    assert tickets.queue_relay(ticket_id, "to_operators", 1, 55, 1, "again") is None
    assert "123 45 67" not in tickets.relays(ticket_id)[0].text
    assert [r.id for r in tickets.pending_relays()] == [relay]
    assert tickets.lease_relay(relay).state == "sending"
    assert tickets.lease_relay(relay) is None and tickets.pending_relays() == []
    tickets.relay_sent(relay, 700)
    assert tickets.relays(ticket_id)[0].state == "sent"
    assert tickets.by_operator_message(700).id == ticket_id
    failing = tickets.queue_relay(ticket_id, "to_citizen", -100, 56, 77, "Cavab")
    tickets.relay_failed(failing, "boom", give_up_after=2)
    assert [(r.id, r.attempts) for r in tickets.pending_relays()] == [(failing, 1)]
    tickets.relay_failed(failing, "boom", give_up_after=2)
    assert tickets.pending_relays() == [] and tickets.relays(ticket_id)[1].state == "failed"
    reply = tickets.last_operator_reply(ticket_id)
    assert reply.id == failing
    draft = tickets.add_draft(tickets.get(ticket_id), 77, reply.text + " FIN 5ZXK4PT")
    (row,) = tickets.drafts()
    assert row.id == draft and row.ticket_id == ticket_id and "5ZXK4PT" not in row.answer
    # The store redacts the question too, whoever calls it (the console shows drafts).
    store_backend.add_draft(ticket_id, 77, "az", "FIN 5ZXK4PT, +994 50 123 45 67", "Cavab")
    assert not any("5ZXK4PT" in d.question or "123 45 67" in d.question for d in tickets.drafts())


def test_tickets_relays_and_drafts_come_back_as_typed_values(store_backend):
    """What goes in through the protocol comes back as the dataclasses of bot.cases.model, every
    column with its type: the same value whichever lookup found it."""
    tickets = Tickets(store_backend)
    candidates = [{"topic": f"t{n}", "score": 0.5 - n / 10} for n in range(5)]
    request = TicketRequest(3, -3, "A" * 80, "ru", "social", "complaint", "Где пенсия?", candidates, 0.25)
    ticket_id = tickets.request(request)
    waiting = tickets.get(ticket_id)
    assert isinstance(waiting, Ticket) and waiting.state == "consent" and not waiting.is_active
    assert (waiting.user_id, waiting.chat_id, waiting.lang, waiting.sector) == (3, -3, "ru", "social")
    assert waiting.first_name == "A" * 64  # a name is cut to 64
    assert (waiting.reason, waiting.question, waiting.confidence) == ("complaint", "Где пенсия?", 0.25)
    assert waiting.candidates == tuple(candidates[:3])  # the best three, parsed back
    assert isinstance(waiting.created_at, float) and waiting.opened_at is None
    tickets.open(ticket_id, 3)
    tickets.set_topic(ticket_id, 41, 42)
    claimed = tickets.claim(ticket_id, 77, "Operator A")
    assert claimed.is_claimed_by(77) and isinstance(claimed.claimed_at, float)
    assert (claimed.thread_id, claimed.card_message_id, claimed.operator_name) == (41, 42, "Operator A")
    assert dataclasses.replace(waiting, state="claimed", operator_id=77, operator_name="Operator A") == (
        dataclasses.replace(claimed, thread_id=None, card_message_id=None, opened_at=None, claimed_at=None)
    )  # nothing else changed
    assert tickets.active_for(3) == tickets.by_thread(41) == tickets.by_operator_message(42) == claimed
    assert tickets.all() == [claimed]
    relay_id = tickets.queue_relay(ticket_id, "to_citizen", -100, 9, 77, "Cavab")
    assert relay_id is not None
    tickets.relay_sent(relay_id, 500)
    (relay,) = tickets.relays(ticket_id)
    assert isinstance(relay, Relay) and relay == tickets.last_operator_reply(ticket_id)
    assert (relay.id, relay.ticket_id, relay.direction, relay.from_chat_id) == (
        relay_id,
        ticket_id,
        "to_citizen",
        -100,
    )
    assert (relay.message_id, relay.sender_id, relay.text, relay.state) == (9, 77, "Cavab", "sent")
    assert (relay.attempts, relay.last_error, relay.copied_message_id) == (1, None, 500)
    assert isinstance(relay.sent_at, float) and relay.sent_at >= relay.created_at
    draft_id = tickets.add_draft(claimed, 77, "Cavab")
    assert tickets.drafts() == [
        Draft(draft_id, ticket_id, 77, "ru", "Где пенсия?", "Cavab", tickets.drafts()[0].created_at)
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        claimed.state = "closed"  # type: ignore[misc]


# The inbox among many workers: claims leased to an owner -----------------------------------------------
def _payload(update_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": "vergi borcu"}}


def test_of_many_concurrent_claims_exactly_one_wins(store_backend):
    from concurrent.futures import ThreadPoolExecutor

    store_backend.record_update(1, _payload(1))
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda n: store_backend.claim_update(1, f"worker-{n}", 60), range(32)))
    assert won.count(True) == 1
    assert store_backend.update_state(1) == "handling"


def test_a_live_lease_is_kept_and_an_expired_one_is_taken_over(store_backend):
    store = store_backend
    for update_id in (1, 2):
        store.record_update(update_id, _payload(update_id))
    assert store.claim_update(1, "a", 60)
    assert not store.claim_update(1, "b", 60)  # a's lease runs for a minute
    assert store.claim_update(2, "a", -1)  # a lease already over: a died holding it
    assert store.claim_update(2, "b", 60)
    assert not store.claim_update(2, "c", 60)  # b holds it now
    store.finish_update(2)
    assert store.update_state(2) == "done" and not store.claim_update(2, "c", -1)


def test_a_takeover_counts_the_attempt_and_drops_the_dead_run_transcript(store_backend):
    store = store_backend
    store.record_update(3, _payload(3))
    assert store.claim_update(3, "a", -1)
    store.log_message(7, 7, "in", "vergi borcu", update_id=3)  # a logged it, then died
    assert store.claim_update(3, "b", 60)
    assert store.messages(7) == []  # b starts clean
    store.log_message(7, 7, "in", "vergi borcu", update_id=3)
    assert [m["update_id"] for m in store.messages(7)] == [3]


def test_renewing_extends_only_the_owner_claims(store_backend):
    store = store_backend
    for update_id in (1, 2, 3):
        store.record_update(update_id, _payload(update_id))
    assert store.claim_update(1, "a", -1) and store.claim_update(2, "a", -1)
    assert store.claim_update(3, "b", -1)
    store.finish_update(2)
    assert store.renew_claims("a", 60) == 1  # 2 is done: only 1 is still a's
    assert store.renew_claims("nobody", 60) == 0
    assert not store.claim_update(1, "c", 60)  # renewed: a is alive
    assert store.claim_update(3, "c", 60)  # b never renewed


def test_stale_recovery_takes_only_what_dead_workers_left(store_backend):
    store = store_backend
    for update_id in range(1, 6):
        store.record_update(update_id, _payload(update_id))
    assert store.claim_update(1, "live", 60)
    assert store.claim_update(2, "dead", -1)
    assert store.claim_update(5, "done", 60)
    store.finish_update(5)
    # 3 and 4 were recorded just now: a live worker may be about to claim them.
    replay, given_up = store.recover_updates(3, stale_after=3600)
    assert [p["update_id"] for p in replay] == [2] and given_up == []
    assert store.update_state(1) == "handling" and store.update_state(2) == "received"
    # Recorded longer ago than stale_after (0 s here): nobody claimed them, so they are replayed.
    replay, _ = store.recover_updates(3, stale_after=0)
    assert [p["update_id"] for p in replay] == [2, 3, 4]
    assert store.update_state(1) == "handling"  # the live claim is never touched
    assert not store.claim_update(1, "thief", 60)
    assert store.claim_update(2, "other", 60)  # a replayed update is claimed as usual


def test_stale_recovery_sets_aside_an_update_that_killed_its_workers(store_backend):
    store = store_backend
    store.record_update(9, _payload(9))
    for owner in ("a", "b"):  # two workers each died handling it
        assert store.claim_update(9, owner, -1)
    replay, given_up = store.recover_updates(2, stale_after=3600)
    assert given_up == [9] and replay == []
    assert store.update_state(9) == "failed" and not store.claim_update(9, "c", 60)


def test_start_up_recovery_of_a_lone_process_takes_every_claim(store_backend):
    store = store_backend
    for update_id in (1, 2, 3):
        store.record_update(update_id, _payload(update_id))
    assert store.claim_update(1, "previous-run", 600)  # its lease had not run out
    assert store.claim_update(2, "previous-run", 600)
    store.release_update(2)  # handed back at shutdown
    replay, given_up = store.recover_updates(3)
    assert [p["update_id"] for p in replay] == [1, 2, 3] and given_up == []
    assert {store.update_state(u) for u in (1, 2, 3)} == {"received"}
    assert store.claim_update(1, "this-run", 60)


def test_a_published_version_is_read_back_and_replaced(store_backend):
    assert store_backend.published_version() is None
    store_backend.publish_version("kb-1")
    assert store_backend.published_version() == "kb-1"
    store_backend.publish_version("kb-2")
    assert store_backend.published_version() == "kb-2"
