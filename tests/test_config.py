import pytest

from bot.config import ConfigError, Settings, load_settings


def test_defaults_and_secret_token(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPDESK_BOT_TOKEN", "123456:ABCdef")
    settings = load_settings()
    assert settings.embedder == "e5"
    assert "ABCdef" not in repr(settings) and "ABCdef" not in str(settings.bot_token)
    assert settings.bot_token.get_secret_value() == "123456:ABCdef"
    assert settings.index_dir == settings.data_dir / "index"


def test_bad_value_is_one_line_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPDESK_EMBEDDER", "word2vec")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith("HELPDESK_EMBEDDER: ") and "\n" not in str(info.value)
    monkeypatch.setenv("HELPDESK_EMBEDDER", "e5")
    monkeypatch.setenv("HELPDESK_OPERATORS_CHAT_ID", "not-a-number")
    with pytest.raises(ConfigError, match="HELPDESK_OPERATORS_CHAT_ID"):
        load_settings()


def test_dotenv_file_is_read_and_empty_values_ignored(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HELPDESK_KB_MAX_AGE_DAYS=30\nHELPDESK_OPERATORS_CHAT_ID=\n")
    settings = load_settings()
    assert settings.kb_max_age_days == 30 and settings.operators_chat_id is None


def test_the_bot_encodes_with_one_e5_engine_per_core_up_to_the_pool(monkeypatch):
    import bot.dialogue
    from bot.dialogue import ENCODE_THREADS, serving_encoder_copies

    monkeypatch.setattr(bot.dialogue.os, "cpu_count", lambda: 8)
    assert serving_encoder_copies(Settings(_env_file=None)) == ENCODE_THREADS
    monkeypatch.setattr(bot.dialogue.os, "cpu_count", lambda: 1)
    assert serving_encoder_copies(Settings(_env_file=None)) == 1
    assert serving_encoder_copies(Settings(_env_file=None, encoder_copies=3)) == 3
