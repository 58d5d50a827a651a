"""Payload codec: rotation, tamper detection, and a history that survives a retired key."""

from __future__ import annotations

import base64
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History, HistoryEvent

from api.history import decode_history
from clearway.crypto import EncryptionCodec, KeyConfigError, KeyRing


def _spec(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def test_rotation_old_key_still_decrypts_new_key_encrypts() -> None:
    old, new = _spec("old"), _spec("new")
    before = EncryptionCodec(KeyRing.parse(old))
    after = EncryptionCodec(KeyRing.parse(f"{new},{old}"))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":1}')
    legacy = before.encrypt(plain)
    assert after.decrypt(legacy) == plain
    assert after.encrypt(plain).metadata["encryption-key-id"] == b"new"


def test_tampering_and_unknown_keys_are_refused() -> None:
    codec = EncryptionCodec(KeyRing.parse(_spec("k")))
    sealed = codec.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=b"1"))
    tampered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\x00")
    with pytest.raises(ValueError, match="fails authentication"):
        codec.decrypt(tampered)
    stranger = EncryptionCodec(KeyRing.parse(_spec("other")))
    with pytest.raises(ValueError, match="unknown key id 'k'"):
        stranger.decrypt(sealed)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "no encryption key"),
        ("k1", "kid:base64key"),
        ("k1:not-base64!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
    ],
)
def test_bad_key_configuration_fails_at_start(spec: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        KeyRing.parse(spec)


async def test_history_with_a_retired_key_still_decodes_the_rest() -> None:
    retired = EncryptionCodec(KeyRing.parse(_spec("retired")))
    current = EncryptionCodec(KeyRing.parse(_spec("current")))
    ok = current.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=b'{"n":1}'))
    lost = retired.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=b'{"n":2}'))
    history = History()
    for sealed in (ok, lost):
        event = HistoryEvent()
        event.activity_task_completed_event_attributes.result.payloads.append(sealed)
        history.events.append(event)
    events = await decode_history(history, current)
    results = [e["activityTaskCompletedEventAttributes"]["result"][0] for e in events]
    assert results[0] == {"n": 1}
    assert "unknown key id 'retired'" in results[1]["undecodable"]
