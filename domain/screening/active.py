"""Which list files screening uses: the configured ones, overridden by registered versions.

`clearway lists update` stores a new version and marks it active in PostgreSQL; every
screening worker must pick it up without a restart or a config change. The active rows are
read at most every `TTL_S` seconds per process, so a screening call normally costs no query,
and a newly activated version is in use everywhere within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from domain.lists.store import ListVersionStore
from models.screening import ListSpec

log = logging.getLogger(__name__)

TTL_S = 30.0

_LOCK = threading.Lock()
_CACHE: dict[int, tuple[float, tuple[ListSpec, ...]]] = {}


def _read_active(sessions: sessionmaker[Session]) -> tuple[ListSpec, ...]:
    with sessions() as session:
        return ListVersionStore(session).active_specs()


def registered_specs(
    sessions: sessionmaker[Session], *, ttl_s: float = TTL_S
) -> tuple[ListSpec, ...]:
    """Active registered versions, cached per session factory.

    If the database cannot be read once the cache has been filled, the last known versions
    are kept (and the failure logged): screening against lists a minute old is better than
    failing every onboarding while PostgreSQL fails over. Without any earlier read the error
    propagates, so the activity retries rather than silently using stale baseline files.
    """
    key = id(sessions)
    now = time.monotonic()
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            specs = _read_active(sessions)
        except Exception:
            if cached is None:
                raise
            log.exception("reading active list versions failed; keeping the last known ones")
            _CACHE[key] = (now + ttl_s, cached[1])
            return cached[1]
        _CACHE[key] = (now + ttl_s, specs)
        return specs


def merge_specs(settings_specs: Sequence[ListSpec], active: Sequence[ListSpec]) -> list[ListSpec]:
    """Configured order first, each source replaced by its active version if it has one; then
    sources that exist only as registered versions, by name."""
    by_source = {spec.source: spec for spec in active}
    merged = [by_source.pop(spec.source, spec) for spec in settings_specs]
    return merged + sorted(by_source.values(), key=lambda s: s.source)


def active_specs(
    settings_specs: Sequence[ListSpec], sessions: sessionmaker[Session]
) -> list[ListSpec]:
    return merge_specs(settings_specs, registered_specs(sessions))


def invalidate() -> None:
    """Forget cached reads, so the next call sees a just-committed activation (CLI, tests)."""
    with _LOCK:
        _CACHE.clear()
