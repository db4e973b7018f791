"""The Store contract, continued: the inbox, the chat context, the reads behind reports and metrics.

Run against every backend of ``store_backend`` (see test_store_contract.py), through the protocol only.
"""

from __future__ import annotations

import datetime as dt
import time

from store_backends import FakeUpdate, new_ticket

from bot.cases.tickets import Tickets
from bot.storage.inbox import Inbox
from bot.tools.reports import gap_questions, referred_services, usage


# The inbox --------------------------------------------------------------------------------------------
def test_inbox_record_claim_finish(store_backend):
    inbox = Inbox(store_backend)
    assert inbox.record({"update_id": 1, "message": {"text": "FIN 5ZXK4PT"}})
    assert not inbox.record({"update_id": 1, "message": {"text": "a second delivery"}})
    assert inbox.state(1) == "received" and inbox.state(2) is None
    assert inbox.claim(FakeUpdate(1)) and inbox.state(1) == "handling"
    assert not inbox.claim(FakeUpdate(1))
    inbox.finish(1)
    assert inbox.state(1) == "done" and not inbox.claim(FakeUpdate(1))
    assert inbox.claim(FakeUpdate(2))  # never recorded: recorded by the claim
    inbox.finish(2, failed=True)
    assert inbox.counts() == {"done": 1, "failed": 1}


def test_inbox_release_and_recover(store_backend):
    store = store_backend
    inbox = Inbox(store, max_attempts=2)
    for update_id in (3, 1, 2, 4):
        inbox.record(FakeUpdate(update_id, "FIN 5ZXK4PT"))
    interrupted = inbox.claim(FakeUpdate(1))  # taken by a process then killed
    inbox.claim(FakeUpdate(2))
    inbox.finish(2)
    inbox.claim(FakeUpdate(4))
    inbox.release(4)  # a shutdown handed it back
    assert interrupted is not None
    interrupted.log(7, 7, "in", "written by the interrupted run")
    recovery = inbox.recover()
    assert [p["update_id"] for p in recovery.replay] == [1, 3, 4] and recovery.given_up == []
    assert "5ZXK4PT" not in str(recovery.replay)
    assert inbox.claim(FakeUpdate(1)) and store.messages(7) == []  # the replay starts clean
    recovery = inbox.recover()  # killed again: the second attempt was the last
    assert recovery.given_up == [1] and [p["update_id"] for p in recovery.replay] == [3, 4]
    assert inbox.state(1) == "failed" and inbox.counts() == {"done": 1, "failed": 1, "received": 2}


# Reports and metrics ----------------------------------------------------------------------------------
def test_report_reads_return_what_was_written(store_backend):
    store = store_backend
    store.log_message(1, 1, "in", "How do I renew a passport abroad?", lang="en", action="handoff")
    store.log_message(2, 2, "in", "football score?", lang="en", action="clarify", intent="out_of_scope")
    store.log_message(3, 3, "in", "/start", action="clarify")  # commands are not gaps
    store.log_message(4, 4, "in", "tax debt?", lang="az", action="answer", topic="tax-debt-check")
    answer = store.log_message(4, 4, "out", "Cavab", action="answer", topic="tax-debt-check")
    store.add_feedback(4, answer, "tax-debt-check", "az", False)
    store.log_message(5, 5, "in", "notary", action="refer", topic="notary-office")
    store.log_message(6, 6, "in", "notary again", action="refer", topic="notary-office")
    gaps = {q["text"]: q["action"] for q in gap_questions(store)}
    assert gaps == {
        "How do I renew a passport abroad?": "handoff",
        "football score?": "clarify",
        "tax debt?": "disliked",
    }
    assert [q["text"] for q in store.disliked_questions(0.0)] == ["tax debt?"]
    assert referred_services(store) == [("notary-office", 2)] == store.referred_services(0.0)
    report = usage(store)
    assert report["questions"] == 6  # every question with an action ("/start" included)
    assert report["busiest_topics"] == [("tax-debt-check", 1)]
    assert report["thumbs_up_share"] == {"tax-debt-check / az": 0.0}
    assert [(v["topic"], v["helpful"]) for v in store.feedback_votes(0.0)] == [("tax-debt-check", 0)]
    later = time.time() + 60
    assert store.gap_messages(later) == store.usage_messages(later) == store.feedback_votes(later) == []
    assert gap_questions(store, dt.date.today() + dt.timedelta(days=1)) == []


def test_metric_reads(store_backend):
    store = store_backend
    store.ping()
    assert store.active_ticket_count() == 0 and store.inbox_counts() == {}
    tickets = Tickets(store)
    ticket_id = new_ticket(tickets)
    assert store.active_ticket_count() == 0  # waiting for consent is not active
    tickets.open(ticket_id, 1)
    assert store.active_ticket_count() == 1
    Inbox(store).record({"update_id": 9})
    assert store.inbox_counts() == {"received": 1}


# The chat context -------------------------------------------------------------------------------------
def test_chat_context_saved_replaced_cleared_and_forgotten(store_backend):
    store = store_backend
    assert store.chat_context(7) is None
    before = time.time()
    store.save_chat_context(7, 7, {"topic": "passport", "candidates": ["passport"], "lang": "az"})
    store.save_chat_context(7, 7, {"topic": "id-card", "candidates": [], "lang": "ru"})  # replaced
    context, saved_at = store.chat_context(7)
    assert context == {"topic": "id-card", "candidates": [], "lang": "ru"} and saved_at >= before
    store.save_chat_context(8, 8, {"topic": "passport"})
    store.clear_chat_context(7)
    assert store.chat_context(7) is None and store.chat_context(8) is not None
    store.forget_user(8)  # /forget takes the chat's context too
    assert store.chat_context(8) is None
