"""The editors' reports moved to :mod:`bot.reports` (the staff console inside ``serve`` reads them
too, and the running bot never imports the tools); this name stays for older imports."""

from bot.reports import (
    GAP_ACTIONS,
    Cluster,
    cluster_questions,
    gap_questions,
    gaps_csv,
    gaps_markdown,
    referred_services,
    usage,
    usage_png,
    usage_text,
)

__all__ = [
    "GAP_ACTIONS",
    "Cluster",
    "cluster_questions",
    "gap_questions",
    "gaps_csv",
    "gaps_markdown",
    "referred_services",
    "usage",
    "usage_png",
    "usage_text",
]
