"""`clearway lists …`: register a new sanctions-list version and re-screen customers.

`update` is all or nothing up to the activation: the file is parsed by the same loader
screening uses before anything is copied or written, so a truncated download is refused
with the file and line instead of becoming the list every customer is screened against.
The stored copy is content-addressed (`data_dir/lists/SOURCE/HASH/`), which makes both the
copy and the database row idempotent, and the re-screening workflow id is derived from the
hash, so running the same update twice re-screens once.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from clearway.contract import Queue
from clearway.logging import get_logger
from clearway.settings import Settings
from cli.context import database_settings
from domain.lists.store import Activation, ListVersionStore
from domain.screening import active
from domain.screening.entities import ListLoadError, LoadedList
from domain.screening.loaders import content_hash, list_files, load_list
from models.rescreening import (
    ListVersionRef,
    RescreeningConfig,
    RescreeningInput,
    ReviewConfig,
    rescreening_workflow_id,
)
from models.screening import ListFormat, ListSpec

log = get_logger(__name__)
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Sources name a directory and go into workflow ids: short, lowercase, no separators."""
EXIT_INVALID_LIST = 2


class ListUpdateError(Exception):
    """The update was refused before anything changed."""


@dataclass(frozen=True)
class UpdateOutcome:
    current: ListVersionRef
    previous: ListVersionRef | None
    entries: int
    names: int
    newly_registered: bool
    workflow_id: str
    workflow_started: bool


def store_copy(data_dir: Path, spec: ListSpec, expected_hash: str) -> ListSpec:
    """Copy the list's file(s) to `data_dir/lists/SOURCE/HASH/` and verify the copy's hash.

    Written to a scratch directory first and renamed into place, so a crash never leaves a
    half-copied version where a worker could load it.
    """
    final = (data_dir / "lists" / spec.source / expected_hash).resolve()
    primary = Path(spec.path)
    stored = ListSpec(source=spec.source, format=spec.format, path=str(final / primary.name))
    if not final.exists():
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch = final.parent / f".tmp-{expected_hash[:16]}-{uuid.uuid4().hex[:8]}"
        scratch.mkdir()
        try:
            for path in list_files(spec):
                shutil.copy2(path, scratch / path.name)
            try:
                scratch.rename(final)
            except OSError:
                if not final.exists():
                    raise  # otherwise a concurrent update stored the same version first
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    found = content_hash(list_files(stored))
    if found != expected_hash:
        raise ListUpdateError(
            f"stored copy {final} has content {found[:16]}, expected {expected_hash[:16]}: "
            "the source file changed while it was being registered"
        )
    return stored


def _load(spec: ListSpec) -> LoadedList:
    try:
        return load_list(spec)
    except ListLoadError as exc:
        raise ListUpdateError(
            f"cannot load list {spec.source!r}: {exc.path}: {exc.location}: {exc.reason}"
        ) from exc


def _prepare(source: str, path: Path, fmt: ListFormat) -> tuple[ListSpec, LoadedList]:
    if not SOURCE_PATTERN.match(source):
        raise ListUpdateError(f"source {source!r} must match {SOURCE_PATTERN.pattern}")
    spec = ListSpec(source=source, format=fmt, path=str(path.resolve()))
    return spec, _load(spec)


def register_version(
    settings: Settings,
    sessions: sessionmaker[Session],
    spec: ListSpec,
    loaded: LoadedList,
) -> Activation:
    """Store and activate a loaded version (see `ListVersionStore.activate`).

    The first update of a configured source also stores the configured file as an inactive
    version, so the delta is always computed between two immutable stored copies (the
    configured file may be replaced in place by the next deploy).
    """
    source = spec.source
    stored = store_copy(settings.data_dir, spec, loaded.version.content_hash)
    baseline: tuple[ListSpec, LoadedList] | None = None
    configured = next((s for s in settings.sanctions_lists if s.source == source), None)
    with sessions() as session:
        known = ListVersionStore(session).has_versions(source)
    if not known and configured is not None:
        try:
            base_loaded = load_list(configured)
        except ListLoadError as exc:
            log.warning("configured list does not load; no baseline", source=source, error=str(exc))
        else:
            base_hash = base_loaded.version.content_hash
            baseline = (store_copy(settings.data_dir, configured, base_hash), base_loaded)

    with sessions.begin() as session:
        activation = ListVersionStore(session).activate(stored, loaded, baseline)
    active.invalidate()
    return activation


def rescreening_input(
    settings: Settings,
    current: ListVersionRef,
    previous: ListVersionRef | None,
    *,
    page_size: int = 1000,
    pages_per_run: int = 100,
) -> RescreeningInput:
    return RescreeningInput(
        source=current.source,
        previous=previous,
        current=current,
        threshold=settings.screening_threshold,
        config=RescreeningConfig(
            screening_queue=settings.queue(Queue.SCREENING),
            review=ReviewConfig(
                records_queue=settings.queue(Queue.RECORDS), review_sla=settings.review_sla
            ),
            page_size=page_size,
            pages_per_run=pages_per_run,
        ),
    )


def resolve_format(settings: Settings, source: str, fmt: str | None) -> ListFormat:
    if fmt is not None:
        return ListFormat(fmt)
    configured = next((s for s in settings.sanctions_lists if s.source == source), None)
    if configured is None:
        raise ListUpdateError(f"source {source!r} is not configured: pass --format")
    return configured.format


async def update_list(
    settings: Settings, source: str, path: Path, fmt: ListFormat
) -> UpdateOutcome:
    from clearway.db import create_db_engine, session_factory
    from clearway.temporal_client import connect

    spec, loaded = await asyncio.to_thread(_prepare, source, path, fmt)
    engine = create_db_engine(settings)
    try:
        current, previous, new = await asyncio.to_thread(
            register_version, settings, session_factory(engine), spec, loaded
        )
    finally:
        engine.dispose()
    client = await connect(settings)
    workflow_id = rescreening_workflow_id(source, current.content_hash)
    try:
        await client.start_workflow(
            "RescreeningWorkflow",
            rescreening_input(settings, current, previous),
            id=workflow_id,
            task_queue=settings.queue(Queue.WORKFLOWS),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        started = True
    except WorkflowAlreadyStartedError:
        started = False
    return UpdateOutcome(
        current=current,
        previous=previous,
        entries=loaded.version.entries,
        names=loaded.version.names,
        newly_registered=new,
        workflow_id=workflow_id,
        workflow_started=started,
    )


@click.group()
def lists() -> None:
    """Sanctions-list versions: register updates, see which version is active."""


@lists.command("update")
@click.option("--source", required=True, help="List id, e.g. ofac_sdn.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ListFormat]),
    help="List format (default: the configured format of SOURCE).",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def update_command(ctx: click.Context, source: str, fmt: str | None, path: Path) -> None:
    """Validate PATH, store it as the active version of SOURCE and re-screen customers."""
    settings = database_settings(ctx)
    try:
        outcome = asyncio.run(
            update_list(settings, source, path, resolve_format(settings, source, fmt))
        )
    except ListUpdateError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("nothing was changed", err=True)
        ctx.exit(EXIT_INVALID_LIST)
    cur = outcome.current
    state = "registered" if outcome.newly_registered else "already registered"
    click.echo(f"{cur.source} {cur.content_hash[:16]}: {outcome.entries} entries, {state}, active")
    click.echo(f"  stored at {Path(cur.stored_path).parent}")
    if outcome.previous is None:
        click.echo("  previous: none (every entry is new)")
    else:
        click.echo(f"  previous: {outcome.previous.content_hash[:16]}")
    if outcome.workflow_started:
        click.echo(f"  re-screening started: workflow {outcome.workflow_id}")
    else:
        click.echo(
            f"  re-screening already started for this version: workflow {outcome.workflow_id}"
        )


@lists.command("show")
@click.pass_context
def show_command(ctx: click.Context) -> None:
    """Registered versions per source (newest first) and the configured baselines."""
    from clearway.db import create_db_engine

    settings = database_settings(ctx)
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            rows = ListVersionStore(session).versions()
    finally:
        engine.dispose()
    registered = {r.source for r in rows}
    click.echo(
        f"{'source':<14} {'version':<16} {'entries':>8} {'names':>8}  loaded           active"
    )
    for r in rows:
        loaded = r.loaded_at.strftime("%Y-%m-%d %H:%M")
        flag = "*" if r.active else ""
        version = r.content_hash[:16]
        click.echo(f"{r.source:<14} {version:<16} {r.entries:>8} {r.names:>8}  {loaded}  {flag}")
    for spec in settings.sanctions_lists:
        if spec.source not in registered:
            click.echo(f"{spec.source:<14} {'(configured)':<16} {spec.path}")
