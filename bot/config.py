"""All configuration in one pydantic-settings class (environment prefix ``HELPDESK_``, ``.env``).

Nothing reads the environment at import time: call :func:`load_settings` where it is needed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.loader import DEFAULT_ARTICLES_DIR, DEFAULT_COVERAGE, DEFAULT_OFFICIAL_DOMAINS
from retrieval.answerability import DEFAULT_MODEL as DEFAULT_ANSWERABILITY_MODEL

if TYPE_CHECKING:
    from bot.cases.hours import WorkingHours


class ConfigError(RuntimeError):
    """A wrong or missing setting, named by its environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPDESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    operators_chat_id: int | None = None
    admin_ids: list[int] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    rate_limit_per_minute: float = Field(default=20, gt=0)
    rate_limit_burst: int = Field(default=8, ge=1)
    retention_days: int = Field(default=90, ge=1)
    # How long a chat remembers the card it is about, for follow-ups ("how much is it?"); 0: never.
    context_minutes: float = Field(default=30, ge=0)
    answer_cache_size: int = Field(default=4096, ge=0)
    # Webhook worker processes sharing the port (`helpdesk serve --workers N`); polling takes one.
    workers: int = Field(default=1, ge=1, le=64)
    # Among many workers: a claimed update is a dead worker's once its lease runs out unrenewed; an
    # update recorded but unclaimed for inbox_stale_seconds is replayed by another worker; each
    # worker renews, recovers and checks the published index version every worker_check_seconds.
    inbox_lease_seconds: float = Field(default=60, gt=0)
    inbox_stale_seconds: float = Field(default=60, gt=0)
    worker_check_seconds: float = Field(default=5, gt=0)
    # Shared state for several workers (FSM, per-chat order, rate limit, context, reply cache);
    # unset: each process keeps its own. redis://[:password@]host[:port][/db], rediss:// or unix://.
    redis_url: SecretStr | None = None
    redis_cache_minutes: float = Field(default=60, gt=0)  # how long a shared reply is kept
    redis_retry_seconds: float = Field(default=2, gt=0)  # after a failure, Redis is tried again then
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9090, ge=0, le=65535)  # /healthz and /metrics; 0 = off
    log_json: bool = True
    # The staff console (bot/web): `helpdesk console`, and inside `serve` only when a port is set.
    console_host: str = "127.0.0.1"
    console_port: int | None = Field(default=None, ge=1, le=65535)
    console_secure_cookies: bool = False  # True behind TLS: the session cookie is sent over HTTPS only

    # Operators (see bot/handoff.py and bot/hours.py).
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(18, 0)
    work_weekdays: str = "0-4"  # 0 = Monday … 6 = Sunday
    timezone: str = "Asia/Baku"
    holidays: list[dt.date] = Field(default_factory=list)  # movable ones: Ramazan, Qurban, transfers
    handoff_timeout_minutes: float = Field(default=15, gt=0)
    minutes_per_ticket: float = Field(default=5, gt=0)  # wait estimate until there is history
    relay_attempts: int = Field(default=8, ge=1)

    # Staff console logins (see bot/web/staff.py): lock-out, rate limit per address, session length.
    staff_max_failures: int = Field(default=5, ge=1)
    staff_lock_minutes: float = Field(default=15, gt=0)
    staff_logins_per_minute: int = Field(default=10, ge=1)
    staff_session_minutes: float = Field(default=480, gt=0)

    data_dir: Path = Path("data")
    # PostgreSQL for several workers (postgresql://user:password@host:port/db); unset: SQLite in data_dir.
    database_url: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1, le=1000)  # connections per process, at most
    parse_cache: bool = True  # False: never write the KB parse cache (a data folder shared read-only)
    articles_dir: Path = DEFAULT_ARTICLES_DIR
    coverage_file: Path = DEFAULT_COVERAGE
    official_domains: list[str] = Field(default_factory=lambda: list(DEFAULT_OFFICIAL_DOMAINS))
    kb_max_age_days: int = Field(default=365, ge=1)
    kb_watch_seconds: float = Field(default=30, ge=0)  # 0 switches the file watch off
    embedder: str = "e5"
    # e5 engines the bot encodes with at once, each on its share of the cores; 0: one per core, at
    # most two (the encoding pool's threads). One-question commands (`ask`) load one.
    encoder_copies: int = Field(default=0, ge=0, le=8)

    # Retrieval fusion (see retrieval/search.py); chosen with scripts/tune_thresholds.py.
    fusion: str = "score"
    dense_weight: float = Field(default=0.5, ge=0, le=1)
    dense_weight_folded: float = Field(default=0.3, ge=0, le=1)
    sector_weight: float = Field(default=0.1, ge=0, le=1)
    topic_weight: float = Field(default=0.4, ge=0, le=1)
    dense_floor: float = 0.82
    dense_ceiling: float = 0.92
    bm25_half: float = Field(default=20.0, gt=0)
    # A question word the knowledge base does not know is read as the known word one typo away.
    correct_typos: bool = True

    # Policy thresholds (see bot/policy.py); chosen on the dev set with scripts/tune_thresholds.py.
    answer_threshold: float = Field(default=0.33, ge=0, le=1)
    clarify_threshold: float = Field(default=0.20, ge=0, le=1)
    clarify_margin: float = Field(default=0.0, ge=0, le=1)
    intent_threshold: float = Field(default=0.5, ge=0, le=1)
    out_of_scope_threshold: float = Field(default=0.5, ge=0, le=1)
    # The answerability check: when a directory service is referred instead of a card.
    refer_threshold: float = Field(default=0.20, ge=0, le=1)
    service_margin: float = Field(default=0.05, ge=-1, le=1)
    min_coverage: float = Field(default=0.0, ge=0, le=1)
    min_answerable: float = Field(default=0.20, ge=0, le=1)
    # A personal-case or complaint intent less sure than this yields to a card whose answerability
    # is at least sure_answerable (chosen on dev_v2 and our tuning files; see README "Quality").
    weak_handoff_intent: float = Field(default=0.6, ge=0, le=1)
    sure_answerable: float = Field(default=0.9, ge=0, le=1)
    # An article that outscores the best service answers without service_margin over it when the
    # answerability check is this sure (chosen on our tuning files; see README "Quality").
    margin_waiver: float = Field(default=0.5, ge=0, le=1)
    # A service scoring below the best article is referred only if its words hold this share of
    # the question's content words (chosen on our tuning files; see README "Quality").
    min_service_coverage: float = Field(default=0.2, ge=0, le=1)
    answerability_model: Path = DEFAULT_ANSWERABILITY_MODEL
    # What citizens see of articles no editor has reviewed: notice | refer | serve.
    draft_policy: Literal["notice", "refer", "serve"] = "notice"

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        if value in ("e5", "fake") or value.startswith(("sentence-transformers:", "fake:")):
            return value
        raise ValueError("use 'e5', 'sentence-transformers:<path or name>' or 'fake'")

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in the secret token.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the value: the URL carries the password.
        if value is None:
            return None
        try:
            parts = urlsplit(value.get_secret_value())
            parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
        except ValueError:
            raise ValueError("not a URL (postgresql://user:password@host:port/database)") from None
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("use a postgresql:// URL (postgresql://user:password@host:port/database)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: it may hold the password.
        if value is not None:
            problem = redis_url_problem(value.get_secret_value())
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("fusion")
    @classmethod
    def _known_fusion(cls, value: str) -> str:
        if value not in ("score", "rrf"):
            raise ValueError("use 'score' or 'rrf'")
        return value

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def passage_cache_dir(self) -> Path:
        """Passage vectors by text hash, kept between builds (outside the index, which a build swaps)."""
        return self.data_dir / "passage_cache"

    @property
    def parse_cache_file(self) -> Path | None:
        """Parsed articles by content hash, beside the index (outside it: a build swaps the index whole)."""
        return self.data_dir / "kb_parse_cache.pickle" if self.parse_cache else None

    def working_hours(self) -> WorkingHours:
        from bot.cases.hours import WorkingHours, parse_weekdays

        return WorkingHours(
            self.work_start,
            self.work_end,
            parse_weekdays(self.work_weekdays),
            set(self.holidays),
            self.timezone,
        )

    @property
    def intents_dir(self) -> Path:
        return self.data_dir / "intents"


def redis_url_problem(url: str) -> str | None:
    """What is wrong with a Redis URL, in words that never repeat it; None when it is usable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        return "not a URL (a port that is not a number?); use redis://[:password@]host[:port][/db]"
    if parts.scheme == "unix":
        return None if parts.path else "unix:// needs the socket's path"
    if parts.scheme not in ("redis", "rediss"):
        return "use redis://[:password@]host[:port][/db], rediss://… or unix://…"
    if not parts.hostname:
        return "no host; use redis://[:password@]host[:port][/db]"
    db = parts.path.strip("/")
    if db and not db.isdigit():
        return "the database after the host must be a number (redis://host:6379/0)"
    return None if port is None or port > 0 else "the port must be 1-65535"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``.env``; a bad value is one line naming its variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HELPDESK_" + str(first["loc"][0]).upper() if first.get("loc") else "HELPDESK_*"
        raise ConfigError(f"{name}: {first['msg']}") from None
