from bot.dialogue import Reply
from bot.telegram.render import SAFE_LIMIT, reply_html, split_message


def make_reply(answer, action="answer"):
    return Reply(
        text="q", lang="az", action=action, intent="question", topic="t", confidence=1, answer=answer
    )


def test_answer_title_bold_and_html_escaped():
    html = reply_html(make_reply("Title <x>\nBody & <script>"))
    assert html == "<b>Title &lt;x&gt;</b>\nBody &amp; &lt;script&gt;"
    assert reply_html(make_reply("<i>", action="handoff")) == "&lt;i&gt;"


def test_split_keeps_parts_under_limit_and_tags_balanced():
    text = "<b>Title</b>\n" + "\n\n".join("&amp; paragraph " * 40 for _ in range(20))
    parts = split_message(text, limit=1000)
    assert len(parts) > 1 and all(len(p) <= 1000 + 4 for p in parts)
    assert "".join(parts).count("&amp;") == text.count("&amp;")
    for part in parts:
        assert part.count("<b>") == part.count("</b>")


def test_split_unbroken_text():
    parts = split_message("x" * (SAFE_LIMIT * 2 + 5))
    assert [len(p) for p in parts] == [SAFE_LIMIT, SAFE_LIMIT, 5]
    assert split_message("short") == ["short"]
