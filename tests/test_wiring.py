import pytest

from bot.config import Settings
from bot.wiring import check_index, database_path, knowledge_base, open_store
from retrieval.embedders import HashingEmbedder
from retrieval.index import IndexMissingError, IndexStaleError, build_index, save_index


def settings_in(tmp_path, **overrides):
    return Settings(_env_file=None, data_dir=tmp_path, **overrides)


def test_knowledge_base_is_the_one_the_settings_name(tmp_path):
    kb = knowledge_base(settings_in(tmp_path))
    assert len(kb.articles) == len(kb.coverage.topics) == 86
    assert kb.directory.entries  # the directory beside the articles comes with it


def test_the_store_lives_in_the_data_folder(tmp_path):
    settings = settings_in(tmp_path)
    assert database_path(settings) == tmp_path / "helpdesk.sqlite3"
    store = open_store(settings)
    try:
        store.audit(None, "test", None, "written")
        assert [row["action"] for row in store.audit_log()] == ["test"]
    finally:
        store.close()
    assert database_path(settings).is_file()


def test_index_check_refuses_a_missing_or_foreign_index(tmp_path):
    settings = settings_in(tmp_path)
    kb = knowledge_base(settings)
    embedder = HashingEmbedder(dim=32)
    with pytest.raises(IndexMissingError):
        check_index(settings, kb, embedder)
    save_index(build_index(kb, embedder), settings.index_dir)
    check_index(settings, kb, embedder)  # fits: no error
    with pytest.raises(IndexStaleError):
        check_index(settings, kb, HashingEmbedder(dim=16))
