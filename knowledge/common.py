"""What the articles and the service directory share: languages, errors, coverage, domains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

LANGS = ("az", "ru", "en")
KNOWLEDGE_DIR = Path(__file__).resolve().parent
DEFAULT_COVERAGE = KNOWLEDGE_DIR / "coverage.yaml"
# Each one confirmed as an agency's own site. The second line was added with the service
# directory: the Central Bank, Azərişıq (electricity), the Ombudsman and Azərpoçt (the post).
DEFAULT_OFFICIAL_DOMAINS = (
    "gov.az",
    "e-gov.az",
    "e-sosial.az",
    "asanimza.az",
    "sima.az",
    "e-qanun.az",
    "president.az",
    "mygov.az",
    "azintelecom.az",
    "cbar.az",
    "azerishiq.az",
    "ombudsman.az",
    "azerpost.az",
)


class ArticleError(ValueError):
    """A knowledge-base file that cannot be used, with where and why."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{self.path}:{line}: {message}")


@dataclass(frozen=True)
class Coverage:
    sectors: dict[str, str]
    topics: dict[str, dict[str, Any]]  # id -> {sector, portal, about}


def load_coverage(path: Path = DEFAULT_COVERAGE) -> Coverage:
    import yaml  # here, not at the top: a start that finds the parse cache reads no YAML

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArticleError(path, 0, "coverage file not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ArticleError(path, line, f"broken YAML: {exc}") from exc
    topics = {t["id"]: t for t in data.get("topics", [])}
    return Coverage(sectors=dict(data.get("sectors", {})), topics=topics)


def is_official_url(url: str, domains: tuple[str, ...] | list[str]) -> bool:
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme != "https" or not host:
        return False
    return any(host == d or host.endswith("." + d) for d in domains)
