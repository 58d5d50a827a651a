"""Decode a workflow history for auditors: every payload decrypted and shown as JSON.

The history proto is walked generically, so new event types added by Temporal are decoded
too without a change here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History

from clearway.crypto import EncryptionCodec


def _collect(msg: Message, out: list[Payload]) -> None:
    for field, value in msg.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            values = [value]
        elif field.message_type.GetOptions().map_entry:
            values = list(value.values())
        else:
            values = list(value)
        for item in values:
            if not isinstance(item, Message):
                continue
            if isinstance(item, Payload):
                out.append(item)
            else:
                _collect(item, out)


def _payload_value(d: dict[str, Any]) -> Any:
    meta = {
        k: base64.b64decode(v).decode(errors="replace") for k, v in d.get("metadata", {}).items()
    }
    raw = base64.b64decode(d.get("data", ""))
    encoding = meta.get("encoding", "")
    if encoding.startswith("json/"):
        return json.loads(raw) if raw else None
    if encoding == "binary/null":
        return None
    if encoding == "clearway/undecodable":
        return {"undecodable": raw.decode(errors="replace")}
    return {"encoding": encoding, "data_base64": d.get("data", "")}


def _simplify(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) <= {"metadata", "data", "externalPayloads"} and "metadata" in value:
            return _payload_value(value)
        if set(value) == {"payloads"}:
            return [_simplify(p) for p in value["payloads"]]
        return {k: _simplify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify(v) for v in value]
    return value


async def decode_history(history: History, codec: EncryptionCodec) -> list[dict[str, Any]]:
    decoded = History()
    decoded.CopyFrom(history)
    payloads: list[Payload] = []
    _collect(decoded, payloads)
    for target in payloads:
        try:
            target.CopyFrom(codec.decrypt(target))
        except ValueError as exc:
            # A payload under a retired key must not hide the rest of the history.
            target.CopyFrom(
                Payload(
                    metadata={"encoding": b"clearway/undecodable"},
                    data=str(exc).encode(),
                )
            )
    events = []
    for event in decoded.events:
        raw = MessageToDict(event)
        events.append(_simplify(raw))
    return events
