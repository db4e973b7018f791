import json

import click
import pytest
from click.testing import CliRunner
from conftest import CONTRACT_KEYS

from bot.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [()] + list(all_commands(main)))
def test_every_command_has_help_with_an_example(path):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output and "helpdesk" in result.output.split("Example:")[1]


def test_build_then_ask_json_contract_line_by_line(tiny_settings):
    build = run("kb", "build")
    assert build.exit_code == 0 and "built" in build.output
    lines = ["vergi borcu", "", "x" * 10_000, "🙂🙂", "\x00\x1b[31m\u202e", "Salam", "оператор"]
    result = run("ask", "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    replies = [json.loads(line) for line in result.output.splitlines()]
    assert len(replies) == len(lines)
    for text, reply in zip(lines, replies):
        assert set(reply) == CONTRACT_KEYS
        assert reply["text"] == text
        assert reply["action"] in ("answer", "clarify", "handoff", "smalltalk")
        assert reply["topic"] is None or reply["action"] == "answer"
    assert replies[0]["candidates"][0]["topic"] == "tax-debt-check"
    assert replies[1]["action"] == replies[3]["action"] == "smalltalk"
    assert replies[5]["intent"] == "greeting" and replies[6]["action"] == "handoff"


def test_ask_text_argument_prints_card(tiny_settings):
    run("kb", "build")
    result = run("ask", "How do I get a passport?")
    assert result.exit_code == 0 and "candidates: passport" in result.output


# What a cold `helpdesk ask` must not import: the build-time libraries (scikit-learn, joblib, scipy,
# PyYAML once the parse cache holds the articles) and the Telegram and web stacks.
NOT_FOR_ASK = ("sklearn", "joblib", "scipy", "yaml", "aiogram", "aiohttp", "jinja2", "psycopg", "redis")


def test_a_cold_ask_imports_only_what_answering_needs(tiny_settings):
    import subprocess
    import sys

    assert run("kb", "build").exit_code == 0  # the index, and the parse cache an ask then reads
    script = (
        "import runpy, sys\n"
        "sys.argv = ['helpdesk', 'ask', 'vergi borcu']\n"
        "try:\n"
        "    runpy.run_module('bot.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import bot.followups\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({NOT_FOR_ASK!r})))\n"
        "print(bot.followups._patterns.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    *answer, imported, patterns = out.stdout.strip().splitlines()
    assert "tax-debt-check" in "\n".join(answer)  # it did answer
    assert imported == "[]" and patterns == "0"


def test_build_if_stale_skips_a_fresh_index(tiny_settings):
    assert "built" in run("kb", "build", "--if-stale").output
    assert "up to date" in run("kb", "build", "--if-stale").output


def test_build_if_stale_rebuilds_an_index_of_the_older_format(tiny_settings):
    import json

    run("kb", "build")
    meta_path = tiny_settings.index_dir / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps(dict(meta, format=2)), encoding="utf-8")  # as the last release wrote
    assert run("ask", "vergi").exit_code == 2  # refused, not misread
    result = run("kb", "build", "--if-stale")
    assert "rebuilding: the index has format 2" in result.output and "0 passages embedded" in result.output
    assert "up to date" in run("kb", "build", "--if-stale").output
    assert run("ask", "vergi").exit_code == 0


def test_missing_index_is_one_line_with_what_to_run(tiny_settings):
    result = run("ask", "vergi")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "run `helpdesk kb build`" in result.output


def test_stale_index_says_rebuild(tiny_settings, tiny_kb_paths):
    run("kb", "build")
    articles, _ = tiny_kb_paths
    path = articles / "taxes" / "tax-debt-check.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    result = run("ask", "vergi")
    assert result.exit_code == 2 and "changed since the index was built" in result.output


def test_broken_article_is_one_line_with_file_and_line(tiny_settings, tiny_kb_paths):
    articles, _ = tiny_kb_paths
    path = articles / "taxes" / "tax-debt-check.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("topic: tax-debt-check", "topic: nope"), encoding="utf-8"
    )
    for args in (("kb", "build"), ("ask", "x")):
        result = run(*args)
        assert result.exit_code == 2
        assert f"{path}:3: unknown topic 'nope'" in result.output
        assert result.output.strip().count("\n") == 0
    check = run("kb", "check")  # lists every refusal with its fix, then a summary
    assert check.exit_code == 2
    assert (
        f"error: {path}:3: unknown topic 'nope'" in check.output and "— fix: correct the line" in check.output
    )
    assert "3 articles OK, 1 refused" in check.output


def test_missing_model_is_one_line(tiny_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_EMBEDDER", f"sentence-transformers:{tmp_path / 'no-model'}")
    result = run("kb", "build")
    assert result.exit_code == 2 and "not available offline" in result.output


def test_bad_setting_is_one_line(tiny_settings, monkeypatch):
    monkeypatch.setenv("HELPDESK_DENSE_WEIGHT", "7")
    result = run("kb", "stats")
    assert result.exit_code == 2 and result.output.startswith("error: HELPDESK_DENSE_WEIGHT")


def test_kb_check_and_stats(tiny_settings):
    check = run("kb", "check")
    assert check.exit_code == 0 and "4 articles OK, 0 refused, 0 warnings" in check.output
    stats = run("kb", "stats")
    assert "topics covered: 4/4" in stats.output and "index: missing" in stats.output
    run("kb", "build")
    assert "index: up to date" in run("kb", "stats").output


def test_eval_reports_three_modes(tiny_settings, tmp_path):
    run("kb", "build")
    file = tmp_path / "eval.jsonl"
    file.write_text(
        "\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in [
                {
                    "id": "1",
                    "text": "vergi borcu",
                    "lang": "az",
                    "expect": {"action": "answer", "topic": "tax-debt-check"},
                },
                {
                    "id": "2",
                    "text": "Salam",
                    "lang": "az",
                    "expect": {"action": "smalltalk", "intent": "greeting"},
                },
            ]
        ),
        encoding="utf-8",
    )
    result = run("eval", str(file), "--json")
    report = json.loads(result.output)
    assert set(report["modes"]) == {"hybrid", "bm25", "dense"}
    assert report["modes"]["bm25"]["all"]["recall_at_3"] == 1.0
    assert report["modes"]["hybrid"]["all"]["smalltalk_accuracy"] == 1.0
    table = run("eval", str(file)).output
    assert "| hybrid | all |" in table and "| dense | az |" in table


def test_chat_session(tiny_settings):
    run("kb", "build")
    result = run("chat", input="How do I get a passport?\nSalam\n\n")
    assert result.exit_code == 0
    assert "you> " in result.output and "greeting" in result.output


def test_chat_answers_a_follow_up_from_the_card_shown(tiny_settings):
    run("kb", "build")
    result = run("chat", input="How do I get a passport?\nwhere do I go?\n\n")
    assert result.exit_code == 0
    assert "[answer" in result.output.split("you> ")[2]  # the follow-up, answered
    assert result.output.split("you> ")[2].count("How do I get a passport?") == 1  # from that card


def test_eval_dialogues(tiny_settings, tmp_path):
    run("kb", "build")
    file = tmp_path / "dialogues.jsonl"
    turns = [
        {"text": "How do I get a passport?", "expect": {"action": "answer", "topic": "passport"}},
        {"text": "where do I go?", "expect": {"action": "answer", "topic": "passport", "part": "where"}},
    ]
    file.write_text(json.dumps({"id": "t1", "lang": "en", "turns": turns}) + "\n", encoding="utf-8")
    report = json.loads(run("eval", "--dialogues", str(file), "--json").output)
    assert report["served"]["follow-up"] == {"n": 1, "right": 1.0}
    assert "| follow-up | 1 |" in run("eval", "--dialogues", str(file)).output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "turns": [{"text": "hi"}]}\n', encoding="utf-8")
    failed = run("eval", "--dialogues", str(broken))
    assert failed.exit_code != 0 and "broken.jsonl:1" in failed.output
    assert run("eval").exit_code != 0  # neither FILE nor --dialogues


def test_report_tickets_and_drafts(tiny_settings):
    from bot.cases.tickets import TicketRequest, Tickets
    from bot.storage.sqlite import Store

    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    tickets = Tickets(store)
    waiting = tickets.request(TicketRequest(1, 1, "A", "az", "taxes", "low_confidence", "vergi?", [], 0.3))
    tickets.open(waiting, 1)
    done = tickets.request(TicketRequest(2, 2, "B", "ru", None, "operator_request", "оператор", [], None))
    tickets.open(done, 2)
    tickets.claim(done, 77, "Operator A")
    tickets.queue_relay(done, "to_citizen", -100, 5, 77, "Ответ оператора")
    tickets.add_draft(tickets.get(done), 77, "Ответ оператора")
    tickets.close(done)
    store.close()
    everything = run("report", "tickets")
    assert everything.exit_code == 0
    assert f"| {waiting} | open | az | taxes | low_confidence | – |" in everything.output
    assert f"| {done} | closed | ru |" in everything.output and "Operator A" in everything.output
    assert "2 tickets: closed 1, open 1" in everything.output
    assert f"| {done} |" not in run("report", "tickets", "--state", "open").output
    drafts = run("report", "drafts")
    assert "A: Ответ оператора" in drafts.output and "1 drafts" in drafts.output


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_kb_check_lists_every_problem_as_json(tiny_settings, tiny_kb_paths):
    from conftest import TINY_ARTICLES, article_text

    articles, _ = tiny_kb_paths
    sector, langs = TINY_ARTICLES["passport"]
    short = dict(langs, ru=(langs["ru"][0], langs["ru"][1], "Кратко."))
    long_az = dict(
        short,
        az=(langs["az"][0], langs["az"][1], langs["az"][2] * 6),
        en=(langs["en"][0], langs["en"][1], langs["en"][2] * 6),
    )
    write(
        articles / sector / "passport.md",
        article_text(
            "passport", sector, long_az, review="review: {state: reviewed, by: Editor, date: 2020-01-01}"
        ),
    )
    write(articles / "taxes" / "tax-payment-online.md", "---\nid: [broken\n---\n")
    result = run("kb", "check", "--json")
    assert result.exit_code == 2
    findings = json.loads(result.output)["findings"]
    kinds = {(f["level"], f["kind"]) for f in findings}
    assert {
        ("error", "refused"),
        ("warning", "stale"),
        ("warning", "short_section"),
        ("warning", "uncovered"),
    } <= kinds
    short_one = next(f for f in findings if f["kind"] == "short_section")
    assert (
        short_one["path"].endswith("passport.md")
        and "'ru'" in short_one["message"]
        and short_one["line"] > 10
    )
    assert all(f["fix"] for f in findings)


def test_kb_check_finds_articles_too_alike(tiny_settings, tiny_kb_paths):
    from conftest import TINY_ARTICLES, article_text

    articles, coverage = tiny_kb_paths
    sector, langs = TINY_ARTICLES["id-card"]
    write(articles / "identity" / "passport.md", article_text("passport", sector, langs))
    result = run("kb", "check", "--json")
    similar = [f for f in json.loads(result.output)["findings"] if f["kind"] == "too_similar"]
    assert len(similar) == 1 and "'id-card' and 'passport'" in similar[0]["message"]
    assert run("kb", "check", "--json", "--no-similarity").output.count("too_similar") == 0


def test_kb_new_writes_a_loadable_skeleton(tiny_settings, tiny_kb_paths):
    articles, _ = tiny_kb_paths
    (articles / "identity" / "passport.md").unlink()
    result = run("kb", "new", "passport")
    assert result.exit_code == 0 and "wrote" in result.output
    assert (articles / "identity" / "passport.md").is_file()
    check = run("kb", "check", "--no-similarity")
    assert check.exit_code == 0 and "4 articles OK, 0 refused" in check.output
    assert run("kb", "new", "passport").exit_code == 2  # exists already
    assert run("kb", "new", "no-such-topic").exit_code == 2  # not in coverage
    from bot.storage.sqlite import Store

    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    assert [a["action"] for a in store.audit_log()] == ["kb_new"]
    store.close()


def test_kb_build_prints_what_changed(tiny_settings, tiny_kb_paths):
    articles, _ = tiny_kb_paths
    assert "4 new" in run("kb", "build").output
    path = articles / "taxes" / "tax-debt-check.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    second = run("kb", "build").output
    assert "0 new; 1 changed; 0 removed; 3 unchanged" in second.replace(",", ";")
    assert "changed: tax-debt-check" in second
    assert "4 new" in run("kb", "build", "--full").output


def test_kb_import_command(tiny_settings, tmp_path):
    sheet = tmp_path / "faq.csv"
    sheet.write_text(
        "topic,lang,question,answer\nid-card,az,vesiqe itirdim,\nbad-topic,az,x,y\n", encoding="utf-8"
    )
    refused = run("kb", "import", str(sheet))
    assert refused.exit_code == 2 and "row 3: unknown topic 'bad-topic'" in refused.output
    sheet.write_text("topic,lang,question,answer\nid-card,az,vesiqe itirdim,\n", encoding="utf-8")
    done = run("kb", "import", str(sheet))
    assert done.exit_code == 0 and "updated id-card (+1 questions)" in done.output


def test_report_gaps_and_usage_commands(tiny_settings, tmp_path):
    from bot.storage.sqlite import Store

    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    for text in ("weather tomorrow?", "weather tomorrow please?", "football scores"):
        store.log_message(1, 1, "in", text, lang="en", action="handoff", intent="out_of_scope")
    store.close()
    gaps = run("report", "gaps")
    assert gaps.exit_code == 0 and "## 1." in gaps.output and "weather" in gaps.output
    assert run("report", "gaps", "--format", "csv").output.startswith("cluster,size")
    usage = run("report", "usage", "--png", str(tmp_path / "u.png"))
    assert usage.exit_code == 0 and "3 questions" in usage.output
    assert (tmp_path / "u.png").read_bytes()[:4] == b"\x89PNG"


def test_purge_backup_doctor(tiny_settings, tmp_path, monkeypatch):
    import time as _time

    from bot.storage.sqlite import Store

    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    store.log_message(1, 1, "in", "old")
    store.db.execute("UPDATE messages SET created_at = ?", [_time.time() - 200 * 86400])
    store.db.conn.commit()
    store.log_message(1, 1, "in", "new")
    store.close()
    assert "deleted 1 messages older than 90 days" in run("purge").output
    result = run("backup", str(tmp_path / "b.sqlite3"))
    assert result.exit_code == 0 and "integrity ok" in result.output and "messages 1" in result.output
    sick = run("doctor")
    assert sick.exit_code == 2 and "BAD search index" in sick.output and "BAD token" in sick.output
    assert "helpdesk kb build" in sick.output
    run("kb", "build")
    monkeypatch.setenv("HELPDESK_BOT_TOKEN", "123456:" + "B" * 35)
    healthy = run("doctor")
    assert healthy.exit_code == 0 and "all good" in healthy.output and "B" * 35 not in healthy.output
    assert "0 updates waiting" in healthy.output and "set aside" not in healthy.output
    store = Store(tiny_settings.data_dir / "helpdesk.sqlite3")
    store.db.execute("INSERT INTO inbox (update_id, state, attempts, received_at) VALUES (9, 'failed', 3, 0)")
    store.db.conn.commit()
    store.close()
    assert "1 set aside after failing 3 times" in run("doctor").output
