"""Hot reload: the running bot moves to the edited knowledge base without a restart.

The new Helpdesk is built completely — articles loaded, index built incrementally and saved
(atomically), intent model retrained if its data changed — while the old one keeps answering.
Only then is it swapped in, in one assignment. A broken article or a failed build leaves the old
one serving, and says why.

Many workers (``helpdesk serve --workers N``) follow one another through the store: a worker
that reloads publishes the version it now serves (the knowledge base's content hash), and every
worker compares it with its own on a timer (:meth:`Reloader.follow`) and, when they differ, loads
the index and model that worker saved to the shared data folder — loaded, never built again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from bot.config import Settings
from bot.dialogue import Helpdesk
from bot.serving import HelpdeskRef
from bot.storage.base import Store
from bot.wiring import knowledge_base
from intents.classifier import IntentClassifier, IntentModelError, train_classifier, training_digest
from knowledge.loader import ArticleError
from retrieval.index import INDEX_FORMAT, BuildReport, build_index, load_previous, read_meta, save_index
from retrieval.passage_cache import PassageCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    message: str


def articles_signature(articles_dir: Path) -> tuple:
    """What changes when an editor saves, adds or removes an article."""
    out = []
    for path in sorted(Path(articles_dir).rglob("*.md")):
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            continue
    return tuple(out)


class Notifier(Protocol):
    """Whatever can post a line to the operators' chat (the Telegram bot does)."""

    async def send_message(self, chat_id: int, text: str) -> Any: ...


class Reloader:
    """Builds a new helpdesk aside and points ``helpdesk`` (what every reader uses) at it."""

    def __init__(self, settings: Settings, helpdesk: HelpdeskRef, store: Store | None = None) -> None:
        self.settings, self.helpdesk, self.store = settings, helpdesk, store
        self._lock = asyncio.Lock()
        self.signature = articles_signature(settings.articles_dir)
        self._unloadable: str | None = None  # a published version that failed to load here

    @property
    def version(self) -> str:
        """What this process serves: the knowledge base's content hash."""
        return self.current.kb.content_hash

    @property
    def current(self) -> Helpdesk:
        return self.helpdesk.current

    def _build(self) -> tuple[Helpdesk, str]:
        """Everything slow, in a worker thread; raises on any failure."""
        settings, embedder = self.settings, self.current.searcher.embedder
        kb = knowledge_base(settings)
        note = []
        meta = None
        try:
            meta = read_meta(settings.index_dir)
        except Exception:  # missing or damaged: rebuilt below
            meta = None
        # An index of an older format is rebuilt, never misread.
        if (
            meta is None
            or meta.format != INDEX_FORMAT
            or meta.kb_hash != kb.content_hash
            or meta.embedder != embedder.name
        ):
            cache = PassageCache.load(settings.passage_cache_dir, embedder)
            index = build_index(
                kb, embedder, previous=load_previous(settings.index_dir, embedder), cache=cache
            )
            save_index(index, settings.index_dir)
            cache.save(settings.passage_cache_dir)
            note.append(cast(BuildReport, index.report).summary().splitlines()[0])  # build_index reports
        wanted = training_digest(kb)
        try:
            fresh = IntentClassifier.load(settings.intents_dir).meta.get("data_digest") == wanted
        except IntentModelError:
            fresh = False
        if not fresh:
            train_classifier(kb).save(settings.intents_dir)
            note.append("intent model retrained")
        helpdesk = Helpdesk.from_settings(settings, embedder=embedder)
        if self.current.shared is not None:  # the workers' shared reply cache goes on (new keys)
            helpdesk = helpdesk.sharing(self.current.shared)
        return helpdesk, "; ".join(note) or "nothing changed in the index"

    async def reload(self, actor: int | None = None) -> ReloadOutcome:
        async with self._lock:
            self.signature = articles_signature(self.settings.articles_dir)
            try:
                helpdesk, note = await asyncio.to_thread(self._build)
            except ArticleError as exc:
                outcome = ReloadOutcome(False, f"refused, still serving the previous version: {exc}")
            except Exception as exc:  # any failure must leave the old helpdesk serving
                log.exception("reload failed")
                outcome = ReloadOutcome(False, f"failed, still serving the previous version: {exc!r}")
            else:
                self.helpdesk.swap(helpdesk)  # the atomic swap: the next update reads the new one
                outcome = ReloadOutcome(True, f"reloaded: {len(helpdesk.kb.articles)} articles ({note})")
        if self.store is not None:
            if outcome.ok:  # the other workers follow (see follow)
                self.store.publish_version(self.version)
            self.store.audit(actor, "reload", None, outcome.message)
        log.info("%s", outcome.message)
        return outcome

    async def watch(self, bot: Notifier, every: float) -> None:
        """Reload when article files change; tell the operators' chat the outcome."""
        while True:
            await asyncio.sleep(every)
            if articles_signature(self.settings.articles_dir) == self.signature:
                continue
            outcome = await self.reload(actor=None)
            if self.settings.operators_chat_id is not None:
                try:
                    await bot.send_message(self.settings.operators_chat_id, f"📚 {outcome.message}")
                except Exception as exc:  # the reload happened; the notice is secondary
                    log.warning("could not post the reload outcome: %r", exc)

    def _load_saved(self) -> Helpdesk:
        """The helpdesk from the data folder as another worker saved it (in a worker thread)."""
        return Helpdesk.from_settings(self.settings, embedder=self.current.searcher.embedder)

    async def follow_once(self) -> bool:
        """Move to the published version if it is not the one served; True if this process moved."""
        if self.store is None:
            return False
        published = self.store.published_version()
        if published is None or published == self.version:
            return False
        async with self._lock:
            try:
                helpdesk = await asyncio.to_thread(self._load_saved)
            except Exception as exc:  # keep serving; tried again next time, said once per version
                if published != self._unloadable:
                    log.error("could not load published index version %r: %r", published, exc)
                self._unloadable = published
                return False
            self.helpdesk.swap(helpdesk)
            self.signature = articles_signature(self.settings.articles_dir)
        if self.version != published:  # the folder moved on again meanwhile: the next check follows
            log.warning("published version %r, loaded %r", published, self.version)
        log.info("following version %r: %r articles", self.version, len(helpdesk.kb.articles))
        return True

    async def follow(self, every: float) -> None:
        """Among many workers: on a timer, serve what the last reload published."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.follow_once()
            except Exception as exc:  # the store is away for a moment
                log.error("could not check the published index version: %r", exc)
