"""The batch's wire form: `encode` writes JSON by hand for speed, so it is held to what
`json.dumps` of the same fields gives, for any strings a caller can send (quotes,
backslashes, control characters, any Unicode), and `created` to the results the models
give when built one by one."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.ledger.batch import PREPARED, PREPARED_SINGLE, call_parameters, created, encode
from domain.ledger.money import at_exponent
from models.ledger import (
    CreateTransfersResult,
    TransferKind,
    TransferOutcome,
    TransferResult,
    TransferSpec,
    TransferView,
)

text = st.text(max_size=20)
optional_text = st.none() | text


@st.composite
def specs(draw: st.DrawFn) -> TransferSpec:
    return TransferSpec(
        transfer_id=draw(st.text(max_size=72)),
        kind=draw(st.sampled_from(list(TransferKind))),
        debit_account_id=draw(optional_text),
        credit_account_id=draw(optional_text),
        amount=draw(
            st.none()
            | st.builds(
                lambda units, exponent: Decimal(units).scaleb(exponent),
                st.integers(-(10**9), 10**12),
                st.integers(-4, 3),
            )
        ),
        currency=draw(optional_text),
        code=draw(text),
        reference=draw(text),
        pending_id=draw(optional_text),
        timeout_seconds=draw(st.none() | st.integers(0, 10**9)),
        linked=draw(st.booleans()),
    )


def reference_encoding(sp: TransferSpec) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": sp.transfer_id,
        "kind": sp.kind.value,
        "code": sp.code,
        "reference": sp.reference,
    }
    optional = {
        "debit": sp.debit_account_id,
        "credit": sp.credit_account_id,
        "amount": None if sp.amount is None else str(sp.amount),
        "currency": sp.currency,
        "pending_id": sp.pending_id,
        "timeout": sp.timeout_seconds,
    }
    item.update({k: v for k, v in optional.items() if v is not None})
    if sp.linked:
        item["linked"] = True
    return item


# In a fresh checkout the first text draw builds Hypothesis's Unicode tables (about 1 s),
# which the too-slow health check counts against the strategy (seen in a clean-clone CI).
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(specs(), max_size=3))
def test_encode_is_the_json_of_the_fields(batch: list[TransferSpec]) -> None:
    wire = encode(batch)  # strict parsing: a raw control character would be refused
    assert json.loads(wire) == [reference_encoding(sp) for sp in batch]
    # the same text as json.dumps but for non-ASCII, written as UTF-8 instead of escaped
    assert wire == json.dumps(
        [reference_encoding(sp) for sp in batch], separators=(",", ":"), ensure_ascii=False
    )


def test_created_matches_the_models_built_one_by_one() -> None:
    at = dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC)
    batch = [
        TransferSpec(
            transfer_id="t-1",
            debit_account_id="a",
            credit_account_id="b",
            amount=Decimal("12.5"),
            currency="EUR",
            code="deposit",
            reference='Salary "November" \u00e9',
        ),
        TransferSpec(
            transfer_id="t-2",
            debit_account_id="b",
            credit_account_id="a",
            amount=Decimal("7"),
            currency="JPY",
        ),
    ]
    expected = CreateTransfersResult(
        results=[
            TransferResult(
                index=i,
                transfer_id=sp.transfer_id,
                outcome=TransferOutcome.CREATED,
                transfer=TransferView(
                    transfer_id=sp.transfer_id,
                    seq=seq,
                    kind=TransferKind.SINGLE,
                    debit_account_id=sp.debit_account_id or "",
                    credit_account_id=sp.credit_account_id or "",
                    amount=at_exponent(sp.amount or Decimal(0), sp.currency or ""),
                    currency=sp.currency or "",
                    code=sp.code,
                    reference=sp.reference,
                    created_at=at,
                ),
            )
            for i, (sp, seq) in enumerate(zip(batch, [41, 42], strict=True))
        ]
    )
    got = created([41, 42], batch, at)
    assert got == expected
    assert [str(r.transfer.amount) for r in got.results if r.transfer] == ["12.50", "7"]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(specs(), min_size=1, max_size=2))
def test_one_complete_single_transfer_goes_typed_everything_else_as_json(
    batch: list[TransferSpec],
) -> None:
    """The typed call (migration 0010) carries exactly the fields the fast path reads (from
    which PostgreSQL builds the general function's JSON if it needs it); any other batch
    goes whole as JSON."""
    at = dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC)
    name, params, stamp = call_parameters(batch, at)
    assert stamp == at
    wire = encode(batch).encode()
    sp = batch[0]
    single = (
        len(batch) == 1
        and sp.kind is TransferKind.SINGLE
        and not sp.linked
        and sp.pending_id is None
        and sp.timeout_seconds is None
        and None not in (sp.debit_account_id, sp.credit_account_id, sp.amount, sp.currency)
        and not any(
            "\x00" in (f or "")
            for f in (
                sp.transfer_id,
                sp.debit_account_id,
                sp.credit_account_id,
                sp.currency,
                sp.code,
                sp.reference,
            )
        )
    )
    if not single:
        assert (name, params) == (PREPARED, [wire, at.isoformat().encode()])
        return
    assert name == PREPARED_SINGLE
    fields = [p.decode() for p in params[:7]]
    assert fields == [
        sp.transfer_id,
        sp.debit_account_id,
        sp.credit_account_id,
        str(sp.amount),
        sp.currency,
        sp.code,
        sp.reference,
    ]
    assert params[7:] == [at.isoformat().encode()]
