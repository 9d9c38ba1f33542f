"""Self-describing, signed task ids, so any worker process can serve any task.

An id carries when the task was created, its model, mode, planned outcome and owner
fingerprint, signed with the shared secret. A worker that never saw the create derives
the task's time-based state from the id alone (scale-out without a shared store).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from functools import lru_cache

from mockserver.contract.data.catalogue import MODELS, MODES, TASK_ID_PREFIX, VIDU_MODELS, Mode
from mockserver.contract.jobs.lifecycle import OUTCOMES, Outcome

_VERSION = 2  # 2: keyed BLAKE2b signatures and owner fingerprints (1 was HMAC-SHA256)
_OUTCOMES = OUTCOMES  # the order is part of the id format
_LAYOUT = struct.Struct(">BQBBB6s4s")  # version, created ms, model, mode, outcome, owner, nonce
_SIG_BYTES = 10
# Vidu's models come after the gateway's, so the ids issued before they were added keep their meaning.
_MODELS = MODELS + VIDU_MODELS
PREFIX = TASK_ID_PREFIX


@lru_cache(maxsize=64)
def _mac_key(secret: str) -> bytes:
    # BLAKE2b takes keys of up to 64 bytes; a hash of the secret fits any secret.
    return hashlib.blake2b(secret.encode(), digest_size=32, person=b"vidu-mock-key").digest()


def _mac(secret: str, purpose: bytes, message: bytes, size: int) -> bytes:
    # Keyed BLAKE2b is a MAC by design (RFC 7693) and one pass, where HMAC-SHA256 is two.
    # `purpose` (the personalization) keeps a fingerprint from ever passing for a signature.
    return hashlib.blake2b(message, key=_mac_key(secret), digest_size=size, person=purpose).digest()


def owner_fingerprint(secret: str, token: str) -> str:
    """A short keyed hash of a bearer token: tasks are matched to it, the token is never kept."""
    return _mac(secret, b"vidu-mock-owner", token.encode(), 6).hex()


def _sign(secret: str, payload: bytes) -> bytes:
    return _mac(secret, b"vidu-mock-id", payload, _SIG_BYTES)


def encode_task_id(secret: str, *, created_at: float, model: str, mode: Mode, outcome: Outcome, owner: str) -> str:
    """A new unique, URL-safe id for these task facts."""
    payload = _LAYOUT.pack(
        _VERSION,
        int(created_at * 1000),
        _MODELS.index(model),
        MODES.index(mode),
        _OUTCOMES.index(outcome),
        bytes.fromhex(owner),
        os.urandom(4),
    )
    raw = payload + _sign(secret, payload)
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_task_id(secret: str, task_id: str) -> tuple[float, str, Mode, Outcome, str] | None:
    """The (created_at, model, mode, outcome, owner) an id carries, or None if it is not ours."""
    if not task_id.startswith(PREFIX):
        return None
    text = task_id[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    if len(raw) != _LAYOUT.size + _SIG_BYTES:
        return None
    payload, signature = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        return None
    version, created_ms, model, mode, outcome, owner, _ = _LAYOUT.unpack(payload)
    if version != _VERSION or model >= len(_MODELS) or mode >= len(MODES) or outcome >= len(_OUTCOMES):
        return None
    return created_ms / 1000, _MODELS[model], MODES[mode], _OUTCOMES[outcome], owner.hex()
