"""The knowledge base: article files under ``articles/`` and the code that loads and checks them."""

from knowledge.loader import (  # noqa: F401 - the package's public face
    LANGS,
    Article,
    ArticleError,
    Coverage,
    KnowledgeBase,
    is_official_url,
    load_coverage,
    load_knowledge_base,
)
