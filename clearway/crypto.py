"""AES-256-GCM payload codec: PII never sits in Temporal history in plaintext.

Every payload is serialised, encrypted with the active key and tagged with that key's id,
so keys can rotate: the first configured key encrypts, every configured key decrypts, and
histories written under an old key stay readable for auditors until the key is retired.
Search attributes, memo keys and workflow ids are not payloads and are NOT encrypted.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_FIELD = "encryption-key-id"
NONCE_BYTES = 12


class KeyConfigError(ValueError):
    """The configured key ring is unusable; raised at start-up, never mid-workflow."""


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse `kid:base64key[,kid:base64key...]`; the first key is the active one."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            kid, sep, b64 = item.partition(":")
            if not sep or not kid:
                raise KeyConfigError("encryption key entries must look like 'kid:base64key'")
            try:
                key = base64.b64decode(b64, validate=True)
            except ValueError as exc:
                raise KeyConfigError(f"encryption key {kid!r} is not valid base64") from exc
            if len(key) != 32:
                raise KeyConfigError(f"encryption key {kid!r} must be 32 bytes (AES-256)")
            if kid in keys:
                raise KeyConfigError(f"encryption key id {kid!r} appears twice")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise KeyConfigError("no encryption key configured")
        return cls(active_id=order[0], keys=keys)

    @staticmethod
    def generate_spec(kid: str = "k1") -> str:
        return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    @property
    def key_ids(self) -> Sequence[str]:
        return list(self._ring.keys)

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        kid = self._ring.active_id
        data = self._ciphers[kid].encrypt(nonce, payload.SerializeToString(), kid.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_FIELD: kid.encode()},
            data=nonce + data,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID_FIELD, b"").decode()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key id {kid!r}")
        nonce, body = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, body, kid.encode())
        except InvalidTag:
            raise ValueError(f"payload under key {kid!r} fails authentication") from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded
