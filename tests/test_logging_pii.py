"""No personal data in logs (issue 8, defect 7): SQLAlchemy errors used to print statement
parameters (given names, surname, date of birth) into the log, through any traceback."""

from __future__ import annotations

import json
import logging
import traceback

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from clearway.db import create_db_engine, database_url
from clearway.logging import configure_logging, get_logger
from clearway.settings import Settings

SENTINEL_NAME = "Zephyrine Quillborough"
SENTINEL_DOB = "1937-11-23"


def _failing_statement(engine_url: str, *, hidden: bool) -> DBAPIError:
    settings = Settings(database_url=SecretStr(engine_url))
    engine = (
        create_db_engine(settings)
        if hidden
        else create_engine(database_url(settings), hide_parameters=False)
    )
    try:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT CAST(:given_names AS integer), CAST(:dob AS date)"),
                {"given_names": SENTINEL_NAME, "dob": SENTINEL_DOB},
            )
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the statement was meant to fail")


def _log_failure(exc: DBAPIError) -> None:
    # The two ways an error reaches the log: our structlog loggers, and libraries (the
    # Temporal SDK logs a failed activity with its traceback) through stdlib logging.
    get_logger("clearway.test").error("statement failed", exc_info=exc)
    logging.getLogger("temporalio.activity").warning("Completing activity as failed", exc_info=exc)


def test_a_failing_statement_logs_no_parameters(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    _log_failure(_failing_statement(database_url, hidden=True))
    err = capsys.readouterr().err
    assert "invalid input syntax for type integer" in err, "the error itself is logged"
    assert SENTINEL_NAME not in err
    assert SENTINEL_DOB not in err


def test_without_the_safeguards_the_name_would_leak(database_url: str) -> None:
    """The control: a default engine puts the parameters in the error, and PostgreSQL quotes
    the value in its own message, so a plain traceback (`format_exc_info`) prints the name.
    The test above fails if either safeguard is dropped."""
    plain = _failing_statement(database_url, hidden=False)
    assert SENTINEL_NAME in "".join(traceback.format_exception(plain))
    hidden = _failing_statement(database_url, hidden=True)
    assert "SQL parameters hidden" in str(hidden)
    assert SENTINEL_DOB not in str(hidden), "parameters are hidden by the engine"
    assert SENTINEL_NAME in str(hidden.orig), "the server message still quotes the value"


def test_known_personal_fields_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    get_logger("clearway.test").info(
        "applicant seen",
        given_names=SENTINEL_NAME,
        workflow_id="onboarding-app-1",
        payload={"applicant": {"surname": SENTINEL_NAME}, "items": [{"email": "z@q.example"}]},
    )
    logging.getLogger("some.library").info("extra", extra={"date_of_birth": SENTINEL_DOB})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert SENTINEL_NAME not in json.dumps(lines)
    assert SENTINEL_DOB not in json.dumps(lines)
    assert "z@q.example" not in json.dumps(lines)
    assert lines[0]["workflow_id"] == "onboarding-app-1", "ids stay"
    assert lines[0]["given_names"] == "[redacted]"
