"""`create_transfers` from asyncio code: the ledger's function over a non-blocking libpq
connection, watched by the event loop.

For an asyncio service (the API is one) and for many concurrent single transfers from one
process. A blocking `LedgerConnection` per client costs each call a sleep and a wake of its
own thread; here one event loop drives many connections, each call one prepared statement
and one transaction as with `LedgerConnection`, and a wake-up of the loop serves every
connection whose answer has arrived. This is how pgbench drives its clients (a few threads,
each multiplexing its connections), and measured on the two cores here it left PostgreSQL
more of the CPU: the bench's single transfers, 8 connections on one loop, against 8
processes with a blocking connection each (bench/README.md).

Same calls, same answers, same errors as `LedgerConnection` (the encoding, decoding and
error mapping are shared): `LedgerContention` for contention, psycopg's classes by SQLSTATE,
`OperationalError` for a lost connection, with nothing written by a call that failed. One
call at a time per connection (concurrent callers of one connection queue, first come
first served); a
call cancelled while PostgreSQL works does not cancel the statement, whose answer is read
and dropped before the connection's next call is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import pq

from domain.ledger.batch import PREPARED_STATEMENTS, answer, call_parameters, check_result
from models.ledger import CreateTransfersResult, TransferSpec


class AsyncLedgerConnection:
    """One autocommit connection; `await AsyncLedgerConnection.connect(conninfo)`."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn
        self._pg = conn.pgconn
        self._encoding = conn.info.encoding
        self._loop = asyncio.get_running_loop()
        self._busy = False
        self._queued: list[asyncio.Future[None]] = []
        self._waiter: asyncio.Future[pq.abc.PGresult] | None = None
        self._result: pq.abc.PGresult | None = None
        self._broken: BaseException | None = None
        self._pg.nonblocking = 1
        self._fd = self._pg.socket
        self._loop.add_reader(self._fd, self._readable)

    @classmethod
    async def connect(cls, conninfo: str) -> AsyncLedgerConnection:
        conn = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        self = cls(conn)
        pg = self._pg
        try:
            for name, statement in PREPARED_STATEMENTS:
                res = await self._roundtrip(functools.partial(pg.send_prepare, name, statement))
                check_result(pg, res, self._encoding)
        except BaseException:
            await self.close()
            raise
        return self

    async def create_transfers(
        self, specs: Sequence[TransferSpec], now: dt.datetime | None = None
    ) -> CreateTransfersResult:
        if not specs:
            return CreateTransfersResult(results=[])
        name, params, at = call_parameters(specs, now)
        res = await self._roundtrip(lambda: self._pg.send_query_prepared(name, params))
        return answer(self._pg, res, specs, at, self._encoding)

    async def _roundtrip(self, send: Callable[[], None]) -> pq.abc.PGresult:
        """Send one command and wait for its last result (the reader collects it). While a
        command is in flight (another caller's, or a cancelled caller's whose answer is
        still to be drained) the next caller queues; on the common path, a free connection,
        nothing here suspends before the send."""
        while self._busy:
            turn: asyncio.Future[None] = self._loop.create_future()
            self._queued.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._next()  # the turn it was given goes to the next in line
                raise
        if self._broken is not None:
            raise psycopg.OperationalError(f"the connection is unusable: {self._broken}")
        waiter: asyncio.Future[pq.abc.PGresult] = self._loop.create_future()
        self._waiter, self._result, self._busy = waiter, None, True
        try:
            send()
            while self._pg.flush():  # the rest of a large batch: wait until writable
                writable: asyncio.Future[None] = self._loop.create_future()
                self._loop.add_writer(self._fd, writable.set_result, None)
                try:
                    await writable
                finally:
                    self._loop.remove_writer(self._fd)
        except BaseException as exc:
            self._fail(exc)
            raise
        return await waiter

    def _next(self) -> None:
        """The connection is free: wake the first caller still waiting for it."""
        while self._queued:
            turn = self._queued.pop(0)
            if not turn.done():
                turn.set_result(None)
                return

    def _readable(self) -> None:
        pg = self._pg
        try:
            pg.consume_input()
            while not pg.is_busy():
                res = pg.get_result()
                if res is None:  # the command's results are complete
                    self._done()
                    return
                self._result = res
        except psycopg.OperationalError as exc:  # the connection was lost
            self._fail(exc)

    def _done(self) -> None:
        waiter, result = self._waiter, self._result
        self._waiter = self._result = None
        self._busy = False
        self._next()
        if waiter is None or waiter.done():
            return  # nothing in flight (a notice), or its caller was cancelled
        if result is None:
            waiter.set_exception(psycopg.OperationalError("PostgreSQL sent no result"))
        else:
            waiter.set_result(result)

    def _fail(self, exc: BaseException) -> None:
        self._broken = exc
        self._loop.remove_reader(self._fd)
        waiter, self._waiter = self._waiter, None
        self._busy = False
        self._next()
        if waiter is not None and not waiter.done():
            waiter.set_exception(
                psycopg.OperationalError(f"the connection to PostgreSQL was lost: {exc}")
            )

    async def close(self) -> None:
        if self._broken is None:
            self._loop.remove_reader(self._fd)
            self._broken = psycopg.OperationalError("the connection is closed")
        await self._conn.close()

    async def __aenter__(self) -> AsyncLedgerConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
