"""One `create_transfers` batch, as one call of the ledger's PostgreSQL function.

The rules (idempotency by id, account flags, two-phase resolution, linked chains) live in
`ledger_create_transfers` (migrations 0004 to 0010), which applies a batch of any size
under its row locks in one round trip and returns one result per transfer. This module
only encodes the batch and decodes the results, for the two ways in: `LedgerStore` inside
a caller's SQLAlchemy transaction, and `LedgerConnection` for throughput callers that want
each batch to be its own transaction on a plain psycopg connection (the bench; a posting
service).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from json.encoder import encode_basestring as _quote

import psycopg
from psycopg import pq

from clearway.contract import LedgerContention, LedgerError, error_types
from domain.ledger.money import at_exponent
from models.ledger import (
    CreateTransfersResult,
    TransferKind,
    TransferResult,
    TransferSpec,
)

CONTENTION_SQLSTATES = frozenset({"CW001", "40P01"})
"""Retryable with nothing written: CW001, raised by the function when a concurrent batch
committed one of its new ids first; 40P01, a deadlock PostgreSQL broke by aborting this
transaction (all lock orders in the function are ids ascending, transfers before accounts,
except where the single-transfer fast path hands a refusal or a replayed id to the general
function after locking both accounts: a concurrent call for the same id can then
deadlock)."""


ERRORS_BY_CODE: dict[str, type[LedgerError]] = {
    cls.code: cls for cls in error_types().values() if issubclass(cls, LedgerError)
}
"""The function reports refusals by catalogue code; results carry the class name too."""


def encode(specs: Sequence[TransferSpec]) -> str:
    """The batch as compact JSON: amounts as exact decimal strings (never floats). Written
    out with the json module's C string escaper rather than through a dict per transfer
    and `json.dumps`: a third less client CPU for a batch of 1,000 (1.4 against 2.0 ms),
    the same JSON (a test compares the two)."""
    parts: list[str] = []
    for sp in specs:
        item = (
            '{"id":'
            + _quote(sp.transfer_id)
            + ',"kind":"'
            + sp.kind.value
            + '","code":'
            + _quote(sp.code)
            + ',"reference":'
            + _quote(sp.reference)
        )
        if sp.debit_account_id is not None:
            item += ',"debit":' + _quote(sp.debit_account_id)
        if sp.credit_account_id is not None:
            item += ',"credit":' + _quote(sp.credit_account_id)
        if sp.amount is not None:  # finite: TransferSpec refuses NaN and infinities
            item += ',"amount":"' + str(sp.amount) + '"'
        if sp.currency is not None:
            item += ',"currency":' + _quote(sp.currency)
        if sp.pending_id is not None:
            item += ',"pending_id":' + _quote(sp.pending_id)
        if sp.timeout_seconds is not None:
            item += ',"timeout":' + str(int(sp.timeout_seconds))
        if sp.linked:
            item += ',"linked":true'
        parts.append(item + "}")
    return "[" + ",".join(parts) + "]"


CREATED = '{"created":'
"""How the fast paths answer a batch they created whole: `{"created": [seq, ...]}`, the
sequence numbers in batch order. Everything else in each result is what the caller sent, so
the server does not build it and the client does not parse it back (for a batch of 1,000,
8 kB of JSON instead of 500 kB, and a fifth of the client's CPU)."""


def decode(raw: str, specs: Sequence[TransferSpec], at: dt.datetime) -> CreateTransfersResult:
    """The function's answer to `specs`, sent with `at`: either the compact form above, or
    one result per transfer, validated straight from the JSON (pydantic's parser)."""
    if raw.startswith(CREATED):
        return created(json.loads(raw)["created"], specs, at)
    result = CreateTransfersResult.model_validate_json('{"results":' + raw + "}")
    if all(r.outcome != "failed" for r in result.results):
        return result
    return CreateTransfersResult(results=[_named(r) for r in result.results])


def created(
    seqs: Sequence[int], specs: Sequence[TransferSpec], at: dt.datetime
) -> CreateTransfersResult:
    """Every transfer created, as the general function would report it: the spec's fields,
    the amount at its currency's exponent, the sequence number, `at` as the creation time.
    Built as plain data and validated in one call (pydantic's core walks it without a
    Python constructor call per object: 2.9 against 4.3 ms for 1,000 transfers)."""
    if len(seqs) != len(specs):
        raise LedgerError(f"the ledger created {len(seqs)} transfers of {len(specs)}")
    results = []
    for index, (spec, seq) in enumerate(zip(specs, seqs, strict=True)):
        assert spec.amount is not None and spec.currency is not None  # created singles have both
        results.append(
            {
                "index": index,
                "transfer_id": spec.transfer_id,
                "outcome": "created",
                "transfer": {
                    "transfer_id": spec.transfer_id,
                    "seq": seq,
                    "kind": "single",
                    "debit_account_id": spec.debit_account_id,
                    "credit_account_id": spec.credit_account_id,
                    "amount": at_exponent(spec.amount, spec.currency),
                    "currency": spec.currency,
                    "code": spec.code,
                    "reference": spec.reference,
                    "created_at": at,
                },
            }
        )
    return CreateTransfersResult.model_validate({"results": results})


def _named(r: TransferResult) -> TransferResult:
    if r.outcome != "failed":
        return r
    cls = ERRORS_BY_CODE.get(r.code or "", LedgerError)
    return r.model_copy(update={"error": cls.type_name()})


def contention() -> LedgerContention:
    return LedgerContention("a concurrent batch created some of these transfer ids first; retry")


PREPARED = b"clearway_create_transfers"
PREPARED_CALL = b"SELECT ledger_create_transfers($1::jsonb, $2::timestamptz)"
PREPARED_SINGLE = b"clearway_create_single"
PREPARED_SINGLE_CALL = (
    b"SELECT COALESCE(ledger_create_single_typed($1, $2, $3, $4, $5, $6, $7, $8::timestamptz),"
    b" ledger_apply_transfers(jsonb_build_array(jsonb_build_object('id', $1::text,"
    b" 'kind', 'single', 'debit', $2::text, 'credit', $3::text, 'amount', $4::text,"
    b" 'currency', $5::text, 'code', $6::text, 'reference', $7::text)), $8::timestamptz))"
)
"""One single-phase transfer with its fields as parameters (migration 0010): the fast path
without jsonb and, only if it declines, the general function on the same transfer, built
into JSON by PostgreSQL (COALESCE evaluates its second argument only when the first is
NULL), so the client encodes no JSON for a single transfer."""
PREPARED_STATEMENTS = ((PREPARED, PREPARED_CALL), (PREPARED_SINGLE, PREPARED_SINGLE_CALL))
"""What a connection prepares once (`LedgerConnection`, `AsyncLedgerConnection`)."""


def check_result(pg: pq.abc.PGconn, res: pq.abc.PGresult, encoding: str) -> None:
    """A failed call as the exception a caller can act on: a lost connection as
    `OperationalError`, contention as the retryable `LedgerContention`, anything else as
    psycopg's class for its SQLSTATE."""
    if res.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return
    if pg.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError(
            "the connection to PostgreSQL was lost: "
            + pg.error_message.decode(encoding, "replace").strip()
        )
    exc = psycopg.errors.error_from_result(res, encoding=encoding)
    if exc.sqlstate in CONTENTION_SQLSTATES:
        raise contention()
    raise exc


def call_parameters(
    specs: Sequence[TransferSpec], now: dt.datetime | None
) -> tuple[bytes, list[bytes], dt.datetime]:
    """Which prepared call to make, its text parameters, and the creation time they carry:
    one single-phase, unlinked transfer goes with its fields as parameters (the typed fast
    path), anything else as one JSON batch. A field with a NUL goes as JSON too: libpq ends
    a text parameter at its first NUL, so the typed call would store a truncated id or
    reference, where the JSON carries the escape `\\u0000`, which PostgreSQL refuses for
    text (an error, nothing written)."""
    at = now or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        raise ValueError("the creation time must be timezone-aware")
    stamp = at.isoformat().encode()
    fields = _typed_fields(specs[0]) if len(specs) == 1 else None
    if fields is not None:
        return PREPARED_SINGLE, [*(f.encode() for f in fields), stamp], at
    return PREPARED, [encode(specs).encode(), stamp], at


def _typed_fields(sp: TransferSpec) -> list[str] | None:
    """The typed call's first seven parameters, if the transfer can go that way."""
    if (
        sp.kind is not TransferKind.SINGLE
        or sp.linked
        or sp.pending_id is not None
        or sp.timeout_seconds is not None
        or sp.debit_account_id is None
        or sp.credit_account_id is None
        or sp.amount is None
        or sp.currency is None
    ):
        return None
    fields = [
        sp.transfer_id,
        sp.debit_account_id,
        sp.credit_account_id,
        str(sp.amount),
        sp.currency,
        sp.code,
        sp.reference,
    ]
    return None if any("\x00" in f for f in fields) else fields


def answer(
    pg: pq.abc.PGconn,
    res: pq.abc.PGresult,
    specs: Sequence[TransferSpec],
    at: dt.datetime,
    encoding: str,
) -> CreateTransfersResult:
    """The prepared call's result as `specs`' results (or its failure raised)."""
    check_result(pg, res, encoding)
    raw = res.get_value(0, 0)
    assert raw is not None  # the function never returns NULL
    return decode(bytes(raw).decode(encoding), specs, at)


class LedgerConnection:
    """A connection of its own in autocommit mode: each `create_transfers` call is one
    statement and one transaction, the cheapest way a client can post (no ORM session,
    no separate BEGIN/COMMIT round trips).

    The call goes through libpq's own prepared-statement API (`PQexecPrepared`, text
    parameters, the GIL released while PostgreSQL works), not psycopg's cursor: for one
    transfer per call, the cursor's adaptation, generator-driven wait loop and result
    wrapping were about a third of the client's CPU (87 µs of CPU per call against 61 µs,
    one client, 3,000 calls), and with eight clients on two cores that CPU is taken from
    PostgreSQL. Errors still surface as psycopg's exception classes (by SQLSTATE)."""

    def __init__(self, conninfo: str) -> None:
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._pg = self._conn.pgconn
        self._encoding = self._conn.info.encoding
        for name, statement in PREPARED_STATEMENTS:
            self._check(self._pg.prepare(name, statement))

    def _check(self, res: pq.abc.PGresult) -> None:
        check_result(self._pg, res, self._encoding)

    def create_transfers(
        self, specs: Sequence[TransferSpec], now: dt.datetime | None = None
    ) -> CreateTransfersResult:
        if not specs:
            return CreateTransfersResult(results=[])
        name, params, at = call_parameters(specs, now)
        res = self._pg.exec_prepared(name, params)
        return answer(self._pg, res, specs, at, self._encoding)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LedgerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pending:
    __slots__ = ("done", "error", "result", "specs")

    def __init__(self, specs: Sequence[TransferSpec]) -> None:
        self.specs = specs
        self.done = threading.Event()
        self.result: CreateTransfersResult | None = None
        self.error: BaseException | None = None


class TransferBatcher:
    """Coalesces concurrent callers' batches into one function call (TigerBeetle's clients
    do the same): while one call is in PostgreSQL, the batches that arrive queue up and go
    together in the next, so N concurrent single transfers cost about one transaction and
    one WAL flush instead of N. Each caller still gets exactly its own results (indexes
    relative to its own batch), and nothing changes in meaning: transfers of different
    callers are separate chains (a caller's linked chain is never split), and the
    function applies them in arrival order, as if the batches had come one after another.
    A failure of the shared call (contention, the database down) is raised to every caller
    in it, each of which retries as it would have alone. One flusher thread and one
    connection: a second one measured slower here (the callers' Python, not PostgreSQL,
    is then the limit)."""

    def __init__(self, conninfo: str, max_transfers: int = 8190) -> None:
        self._max = max_transfers
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._closed = False
        self.calls = 0
        """Function calls made (each one transaction), for tests and metrics."""
        self._connection = LedgerConnection(conninfo)
        self._thread = threading.Thread(target=self._run, name="ledger-batcher", daemon=True)
        self._thread.start()

    def create_transfers(self, specs: Sequence[TransferSpec]) -> CreateTransfersResult:
        if not specs:
            return CreateTransfersResult(results=[])
        item = _Pending(specs)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.append(item)
            self._cond.notify()
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.result is not None  # set together with done
        return item.result

    def _take(self) -> list[_Pending]:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            taken: list[_Pending] = []
            size = 0
            while self._queue and (not taken or size + len(self._queue[0].specs) <= self._max):
                item = self._queue.pop(0)
                taken.append(item)
                size += len(item.specs)
            return taken

    def _run(self) -> None:
        while True:
            taken = self._take()
            if not taken:
                return  # closed and drained
            specs: list[TransferSpec] = []
            for item in taken:
                chain = list(item.specs)
                if chain[-1].linked:
                    # an open chain stays the caller's own failure, not its neighbour's
                    self._solo(item)
                    continue
                specs.extend(chain)
            live = [item for item in taken if not item.done.is_set()]
            if not live:
                continue
            self.calls += 1
            try:
                result = self._connection.create_transfers(specs)
            except BaseException as exc:  # every caller of the shared call sees it
                for item in live:
                    item.error = exc
                    item.done.set()
                continue
            offset = 0
            for item in live:
                mine = result.results[offset : offset + len(item.specs)]
                item.result = CreateTransfersResult(
                    results=[r.model_copy(update={"index": r.index - offset}) for r in mine]
                )
                offset += len(item.specs)
                item.done.set()

    @property
    def queued(self) -> int:
        """Batches waiting for the next call."""
        with self._cond:
            return len(self._queue)

    def _solo(self, item: _Pending) -> None:
        self.calls += 1
        try:
            item.result = self._connection.create_transfers(item.specs)
        except BaseException as exc:
            item.error = exc
        item.done.set()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        self._connection.close()
