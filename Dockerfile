# syntax=docker/dockerfile:1
# One image for every Clearway process: `clearway api`, `clearway worker`, `clearway migrate`
# (docker-compose.yml picks the command). No dev dependencies, runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tesseract reads the MRZ off scanned identity documents when no MRZ text is submitted;
# libicu is the runtime of PyICU (name transliteration in the screening normaliser).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng libicu72 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 clearway \
 && useradd --system --uid 10001 --gid clearway --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin clearway

WORKDIR /app
COPY . /app
# `pip install .` brings the runtime dependencies and the `clearway` command (no `[dev]`).
# The settings resolve data/ (sanctions lists, risk model) and migrations/ relative to the
# source tree, which the wheel does not carry, so the processes import the packages from
# /app (PYTHONPATH) and the installed copy only provides dependencies and the entry point.
# PyICU publishes no wheels: compile it against libicu-dev, then drop the toolchain.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libicu-dev \
 && pip install . \
 && apt-get purge -y --auto-remove build-essential pkg-config libicu-dev \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/clearway \
 && chown clearway:clearway /var/lib/clearway
ENV PYTHONPATH=/app \
    CLEARWAY_DATA_DIR=/var/lib/clearway

USER clearway:clearway

EXPOSE 8000
# Liveness of the API process; workers and the migrate job override or disable it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CLEARWAY_API_PORT', '8000'), timeout=4)"]

CMD ["clearway", "api"]
