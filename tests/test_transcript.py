from bot.storage.sqlite import SqliteStore
from bot.transcript import Transcript


def test_rows_carry_the_update_being_handled(tmp_path):
    store = SqliteStore(tmp_path / "h.sqlite3")
    try:
        row = Transcript(store, 42).log(7, 7, "in", "FIN 5ZXK4PT vergi borcu", lang="az", action="answer")
        Transcript(store).log(7, 7, "out", "cavab")
        rows = store.messages(7)
        assert [r["id"] for r in rows][0] == row
        assert [r["update_id"] for r in rows] == [42, None]
        assert "5ZXK4PT" not in rows[0]["text"]  # the store redacts what the transcript hands it
    finally:
        store.close()
