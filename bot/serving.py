"""The helpdesk being served now: one reference that the reloader swaps and every reader uses.

A hot reload builds a new :class:`~bot.dialogue.Helpdesk` aside and then points this reference at
it in one assignment. Readers take ``current`` once per piece of work (the Telegram layer once per
update), so an update that started with the old knowledge base finishes with it.
"""

from __future__ import annotations

from bot.dialogue import Helpdesk


class HelpdeskRef:
    def __init__(self, helpdesk: Helpdesk) -> None:
        self._helpdesk = helpdesk

    @property
    def current(self) -> Helpdesk:
        return self._helpdesk

    def swap(self, helpdesk: Helpdesk) -> Helpdesk:
        """Serve ``helpdesk`` from now on; the one it replaces (still whole, for whoever holds it)."""
        previous, self._helpdesk = self._helpdesk, helpdesk
        return previous
