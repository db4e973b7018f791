import sqlite3
import time

import pytest

from bot.cases.tickets import TicketError, TicketRequest, Tickets
from bot.storage.sqlite import Store


@pytest.fixture
def tickets(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    yield Tickets(store)
    store.close()


def new(tickets, user=1, question="FIN 5ZXK4PT, pensiyam gəlmir"):
    return tickets.request(
        TicketRequest(
            user,
            user,
            "Aysel",
            "az",
            "social",
            "low_confidence",
            question,
            [{"topic": "pension-account-check", "score": 0.4}],
            0.4,
        )
    )


def test_consent_then_open_claim_close_rate(tickets):
    ticket_id = new(tickets)
    ticket = tickets.get(ticket_id)
    assert ticket.state == "consent" and "5ZXK4PT" not in ticket.question
    assert ticket.candidates[0]["topic"] == "pension-account-check"
    with pytest.raises(TicketError):
        tickets.open(ticket_id, user_id=2)  # someone else's request
    tickets.open(ticket_id, 1)
    assert tickets.active_for(1).id == ticket_id
    tickets.claim(ticket_id, 77, "Operator A")
    with pytest.raises(TicketError, match="already taken by Operator A"):
        tickets.claim(ticket_id, 78, "Operator B")
    tickets.claim(ticket_id, 78, "Operator B", force=True)
    with pytest.raises(TicketError):
        tickets.release(ticket_id, 77)
    tickets.release(ticket_id, 78)
    tickets.close(ticket_id)
    assert not tickets.rate(ticket_id, 1, 6) and not tickets.rate(ticket_id, 2, 5)
    assert tickets.rate(ticket_id, 1, 4) and tickets.get(ticket_id).rating == 4
    tickets.reopen(ticket_id, 1)
    assert tickets.get(ticket_id).state == "open"


def test_new_request_replaces_unanswered_one(tickets):
    first = new(tickets)
    second = new(tickets)
    assert tickets.get(first).state == "declined" and tickets.get(second).state == "consent"


def test_queue_position_and_wait_estimate(tickets):
    ids = [new(tickets, user) for user in (1, 2, 3)]
    for user, ticket_id in zip((1, 2, 3), ids):
        tickets.open(ticket_id, user)
    assert [tickets.queue_position(i) for i in ids] == [1, 2, 3]
    assert tickets.median_wait_seconds(300) == 300  # no history yet
    for ticket_id in ids:
        tickets.store.db.execute(
            "UPDATE tickets SET opened_at = ? WHERE id = ?", [time.time() - 120, ticket_id]
        )
        tickets.store.db.conn.commit()
        tickets.claim(ticket_id, 5, "Op")
    assert 100 < tickets.median_wait_seconds(300) < 200


def test_relay_outbox_dedupes_and_retries(tickets):
    ticket_id = new(tickets)
    tickets.open(ticket_id, 1)
    relay = tickets.queue_relay(ticket_id, "to_citizen", -100, 55, 77, "Cavab: telefon 050 123 45 67")
    assert tickets.queue_relay(ticket_id, "to_citizen", -100, 55, 77, "again") is None
    assert "[PHONE]" in tickets.relays(ticket_id)[0].text
    tickets.relay_failed(relay, "boom", give_up_after=3)
    assert tickets.pending_relays()[0].attempts == 1
    tickets.relay_failed(relay, "boom", give_up_after=3)
    tickets.relay_failed(relay, "boom", give_up_after=3)
    assert tickets.pending_relays() == [] and tickets.relays(ticket_id)[0].state == "failed"


def test_draft_from_last_reply(tickets):
    ticket_id = new(tickets)
    tickets.open(ticket_id, 1)
    tickets.queue_relay(ticket_id, "to_citizen", -100, 1, 77, "first")
    tickets.queue_relay(ticket_id, "to_citizen", -100, 2, 77, "second")
    reply = tickets.last_operator_reply(ticket_id)
    tickets.add_draft(tickets.get(ticket_id), 77, reply.text)
    assert tickets.drafts()[0].answer == "second"


def test_a_relay_is_leased_by_one_sender_only(tickets):
    ticket_id = new(tickets)
    tickets.open(ticket_id, 1)
    relay = tickets.queue_relay(ticket_id, "to_citizen", -100, 9, 77, "x")
    assert tickets.lease_relay(relay).state == "sending"
    assert tickets.lease_relay(relay) is None  # the retry loop must not send it too
    assert tickets.pending_relays() == []
    tickets.store.db.execute("UPDATE relay SET lease_until = 0 WHERE id = ?", [relay])
    tickets.store.db.conn.commit()
    assert [r.id for r in tickets.pending_relays()] == [relay]  # a crashed sender's lease ran out
    tickets.relay_sent(relay, 5)
    assert tickets.lease_relay(relay) is None


def test_a_request_that_cannot_be_written_leaves_the_older_one_waiting(tickets):
    """Declining the older request and inserting the new one are one transaction."""
    first = new(tickets)
    # The database refuses the insert (as a full disk or a broken constraint would), after the
    # UPDATE that declines the older request has already run in the same transaction.
    tickets.store.db.execute(
        "CREATE TEMP TRIGGER refuse_tickets BEFORE INSERT ON tickets "
        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="refused for the test"):
        new(tickets)
    assert tickets.get(first).state == "consent"  # not declined by the failed request
    assert [t.id for t in tickets.all(("consent", "declined"))] == [first]
    tickets.store.db.execute("DROP TRIGGER refuse_tickets")
    second = new(tickets)
    assert tickets.get(first).state == "declined" and tickets.get(second).state == "consent"
