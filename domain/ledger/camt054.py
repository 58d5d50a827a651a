"""ISO 20022 camt.054 (bank-to-customer debit/credit notification): incoming credits.

The notification is validated against the vendored XSD (`data/iso20022/camt.054.001.08.xsd`)
with `xmlschema`, never by hand-checking tags, and parsed with entity expansion and external
resources refused (the body comes from outside). Only booked credits are posted; each
transaction detail becomes one transfer whose id derives from the servicer's entry reference,
so a notification delivered twice posts every entry once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema

from clearway.contract import InvalidCamt054
from domain.ledger.money import MoneyError, parse_amount
from models.ledger import Camt054Entry, Camt054Input

XSD = Path(__file__).resolve().parents[2] / "data" / "iso20022" / "camt.054.001.08.xsd"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
MAX_BYTES = 5_000_000


@cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def camt054_transfer_id(servicer_ref: str, index: int) -> str:
    """Stable per entry detail, short enough for a transfer id, free of the raw reference."""
    digest = hashlib.sha256(f"{servicer_ref}\x00{index}".encode()).hexdigest()[:32]
    return f"camt054-{digest}"


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _account_id(acct: dict[str, Any] | None) -> str | None:
    ident = (acct or {}).get("Id") or {}
    if "Othr" in ident:
        return str(ident["Othr"]["Id"])
    if "IBAN" in ident:
        return str(ident["IBAN"])
    return None


def _amount(node: dict[str, Any], where: str) -> tuple[Decimal, str]:
    amt = node["Amt"]
    currency = str(amt["@Ccy"])
    try:
        return parse_amount(str(amt["$"]), currency), currency
    except MoneyError as exc:
        raise InvalidCamt054(f"{where}.Amt: {exc}") from None


def parse_camt054(body: bytes) -> Camt054Input:
    """Validate and reduce a notification to the credits to book; InvalidCamt054 names the
    problem (XML syntax, the XSD path that fails, an amount the currency cannot hold)."""
    if len(body) > MAX_BYTES:
        raise InvalidCamt054(f"notification is {len(body)} bytes; the limit is {MAX_BYTES}")
    try:
        resource = xmlschema.XMLResource(body, defuse="always", allow="none")
        errors = list(_schema().iter_errors(resource))
    except (xmlschema.XMLResourceError, SyntaxError, ValueError) as exc:
        raise InvalidCamt054(f"not well-formed XML: {exc}") from None
    if errors:
        first = errors[0]
        raise InvalidCamt054(
            f"not a valid camt.054.001.08 document at {first.path}: {first.reason}"
        )
    doc: dict[str, Any] = _schema().to_dict(resource, namespaces={"": NS})  # type: ignore[assignment]
    root = doc["BkToCstmrDbtCdtNtfctn"]
    message_id = str(root["GrpHdr"]["MsgId"])
    entries: list[Camt054Entry] = []
    skipped: list[str] = []
    for n, ntf in enumerate(_list(root.get("Ntfctn"))):
        for e, ntry in enumerate(_list(ntf.get("Ntry"))):
            where = f"Ntfctn[{n}].Ntry[{e}]"
            ref = ntry.get("AcctSvcrRef") or ntry.get("NtryRef")
            status = (ntry.get("Sts") or {}).get("Cd")
            if ntry.get("CdtDbtInd") != "CRDT" or status != "BOOK":
                skipped.append(str(ref or where))
                continue
            if not ref:
                raise InvalidCamt054(f"{where}: a booked entry needs AcctSvcrRef or NtryRef")
            details = [tx for d in _list(ntry.get("NtryDtls")) for tx in _list(d.get("TxDtls"))]
            if not details:
                raise InvalidCamt054(f"{where}: no TxDtls names the credited account")
            entry_amount, entry_currency = _amount(ntry, where)
            total = Decimal(0)
            for t, tx in enumerate(details):
                tx_where = f"{where}.NtryDtls.TxDtls[{t}]"
                if "Amt" in tx:
                    amount, currency = _amount(tx, tx_where)
                elif len(details) == 1:
                    amount, currency = entry_amount, entry_currency
                else:
                    raise InvalidCamt054(f"{tx_where}: Amt is required when an entry has several")
                if currency != entry_currency:
                    raise InvalidCamt054(f"{tx_where}.Amt: currency differs from the entry's")
                total += amount
                account = _account_id((tx.get("RltdPties") or {}).get("CdtrAcct"))
                if account is None:
                    raise InvalidCamt054(f"{tx_where}.RltdPties.CdtrAcct: the credited account")
                refs = tx.get("Refs") or {}
                remittance = " ".join(str(u) for u in _list((tx.get("RmtInf") or {}).get("Ustrd")))
                reference = (refs.get("EndToEndId") or remittance or str(ref))[:140]
                entries.append(
                    Camt054Entry(
                        entry_ref=f"{ref}/{t}",
                        transfer_id=camt054_transfer_id(str(ref), t),
                        account_id=account,
                        amount=amount,
                        currency=currency,
                        reference=reference,
                    )
                )
            if total != entry_amount:
                raise InvalidCamt054(f"{where}: TxDtls amounts sum to {total}, not {entry_amount}")
    return Camt054Input(message_id=message_id, entries=entries, skipped=skipped)
