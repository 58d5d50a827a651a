"""The house rules, checked on the source: imports run one way, activities are only
activities, and every shared name (activity, error) means the same thing everywhere.

These read the code with `ast` instead of importing it, so a rule breaks here even when the
offending import would happen to work.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from clearway.contract import Activity, Queue, error_types
from clearway.db import create_db_engine
from clearway.settings import Settings
from workers.main import build_workers

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {"api", "activities", "cli", "clearway", "domain", "models", "workers", "workflows"}


def _modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level names of every module the file imports (including inside functions and
    `imports_passed_through` blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _violations(package: str, forbidden: set[str]) -> list[str]:
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            if name.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


FRAMEWORKS = {"temporalio", "fastapi", "starlette", "uvicorn", "click"}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("api", {"activities", "workers", "cli"}),
        ("domain", FRAMEWORKS | {"activities", "workflows", "workers", "api", "cli"}),
        ("models", FRAMEWORKS | {"activities", "workflows", "workers", "api", "cli", "domain"}),
        ("clearway", {"activities", "workflows", "workers", "api", "cli", "domain"}),
        ("activities", {"fastapi", "api", "cli", "workflows", "workers"}),
        ("workflows", {"sqlalchemy", "psycopg", "httpx", "sklearn", "fastapi", "api", "cli"}),
    ],
)
def test_imports_run_one_way(package: str, forbidden: set[str]) -> None:
    assert _violations(package, forbidden) == []


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The scanner itself must see imports wherever they hide (functions, `with` blocks)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    with x():\n        from activities.cases import CaseActivities\n"
    )
    assert "activities.cases" in _imports(probe)


def _defines_activity(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) == "activity.defn":
                    return True
    return False


def test_every_activities_module_defines_activities() -> None:
    modules = [p for p in _modules("activities") if p.name != "__init__.py"]
    assert modules
    assert [str(p.relative_to(ROOT)) for p in modules if not _defines_activity(p)] == []


def _activity_calls(path: Path) -> Iterator[tuple[int, ast.expr]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(
            ("execute_activity", "start_activity", "execute_local_activity")
        ):
            yield node.lineno, node.args[0]


def test_workflows_call_activities_only_by_contract_name() -> None:
    bad = []
    for path in _modules("workflows"):
        for line, arg in _activity_calls(path):
            text = ast.unparse(arg)
            if not (text.startswith("Activity.") or text == "name"):
                bad.append(f"{path.relative_to(ROOT)}:{line} calls {text}")
            elif text.startswith("Activity.") and text.split(".")[1] not in Activity.__members__:
                bad.append(f"{path.relative_to(ROOT)}:{line}: no {text}")
    assert bad == []


async def test_workers_register_exactly_the_contract_activities(
    settings: Settings, temporal_env: WorkflowEnvironment
) -> None:
    engine = create_db_engine(settings)
    try:
        workers = build_workers(temporal_env.client, settings, engine)
    finally:
        engine.dispose()
    registered = workers.activities
    assert set(registered) == {q.value for q in Queue if q != Queue.WORKFLOWS}
    everything = {name for names in registered.values() for name in names}
    assert everything == {a.value for a in Activity}
    assert set(registered[Queue.RECORDS]) <= set(registered[Queue.LEDGER]), (
        "the ledger queue still serves the case and customer writes of executions that "
        "name it as their records queue"
    )


def _used_names() -> set[str]:
    """Names referenced by the code outside the catalogue itself: raised, or recorded as a
    per-item refusal (a ledger batch reports refusals as results, by error class)."""
    names: set[str] = set()
    contract = ROOT / "clearway" / "contract.py"
    for package in FIRST_PARTY:
        for path in _modules(package):
            if path == contract:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Name):
                    names.add(node.id)
                elif isinstance(node, ast.Attribute):
                    names.add(node.attr)
    return names


def _ledger_function_codes() -> set[str]:
    """Error codes `ledger_create_transfers` (PL/pgSQL, in the migrations) can report."""
    codes: set[str] = set()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        source = path.read_text()
        if "ledger_create_transfers" not in source:
            continue
        codes |= set(re.findall(r"err_code := '([a-z_]+)'", source))
        codes |= set(re.findall(r"r_code\[m\] := '([a-z_]+)'", source))
    return codes


def test_the_ledger_function_reports_only_catalogued_codes() -> None:
    """A misspelt code in the PL/pgSQL would surface as a generic ledger error."""
    from clearway.contract import LedgerError

    ledger = [cls for cls in error_types().values() if issubclass(cls, LedgerError)]
    ledger_codes = {cls.code for cls in ledger}
    assert len(ledger_codes) == len(ledger), "a result's code must name one error class"
    emitted = _ledger_function_codes()
    assert len(emitted) >= 10
    assert sorted(emitted - ledger_codes) == []


def test_every_catalogued_error_is_used_somewhere_and_mapped() -> None:
    catalogue = error_types()
    emitted = _ledger_function_codes()
    used = _used_names() | {name for name, cls in catalogue.items() if cls.code in emitted}
    assert sorted(set(catalogue) - used) == [], "errors nothing raises or reports"
    for name, cls in catalogue.items():
        assert 400 <= cls.http_status < 600, name
        assert cls.code and cls.code.islower(), name
        assert cls.retryable == (cls.http_status >= 500), (
            f"{name}: only dependency failures (5xx) may be retried"
        )


def test_refused_updates_map_to_the_catalogue() -> None:
    """The API reads the same catalogue: a type name from a refused update maps to the
    class's status; unknown names fall back to 409, never to a 500."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    from api.temporal_errors import update_refusal

    for name, cls in error_types().items():
        failure = WorkflowUpdateFailedError(ApplicationError("refused", type=name))
        mapped = update_refusal(failure, "case 'x'")
        assert getattr(mapped, "status", None) == cls.http_status, name
        assert getattr(mapped, "code", None) == cls.code, name


def test_scheduled_workflows_are_registered_and_name_no_one() -> None:
    """A schedule starting a type no worker registers would start runs that never finish;
    its ids show in the Temporal UI, so they carry the fixed name only."""
    from temporalio.client import ScheduleActionStartWorkflow

    from workers.schedules import hold_expiry_schedule, hold_expiry_schedule_id
    from workflows.registry import WORKFLOWS

    settings = Settings(task_queue_prefix="p-")
    action = hold_expiry_schedule(settings).action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow in {w.__name__ for w in WORKFLOWS}
    assert action.task_queue == settings.queue(Queue.WORKFLOWS)
    assert action.id == hold_expiry_schedule_id(settings) == "p-ledger-hold-expiry"
