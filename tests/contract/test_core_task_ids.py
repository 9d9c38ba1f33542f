"""Signed task ids: what one process mints, any process with the secret reads; nothing else reads."""

from __future__ import annotations

import base64

import pytest

from mockserver.contract.data.catalogue import MODELS, MODES
from mockserver.contract.jobs.ids import decode_task_id, encode_task_id, owner_fingerprint


def mint(secret: str) -> str:
    return encode_task_id(
        secret, created_at=1_700_000_000.25, model=MODELS[-1], mode=MODES[-1], outcome="stall", owner="0123456789ab"
    )


def test_an_id_carries_its_facts_to_a_process_with_the_same_secret() -> None:
    task_id = mint("s3cret:0")
    assert task_id.startswith("task_") and task_id[5:].replace("-", "").replace("_", "").isalnum()
    assert decode_task_id("s3cret:0", task_id) == (1_700_000_000.25, MODELS[-1], MODES[-1], "stall", "0123456789ab")


def test_two_ids_for_the_same_facts_differ() -> None:
    assert mint("s") != mint("s")


@pytest.mark.parametrize("secret", ["other:0", "s3cret:1", "x" * 200])
def test_another_secret_or_epoch_reads_nothing(secret: str) -> None:
    assert decode_task_id(secret, mint("s3cret:0")) is None


def test_a_long_secret_signs_and_reads_back() -> None:
    task_id = mint("k" * 500)
    assert decode_task_id("k" * 500, task_id) is not None
    assert decode_task_id("k" * 499, task_id) is None


def test_every_changed_byte_is_refused() -> None:
    task_id = mint("s3cret:0")
    text = task_id[5:]
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    for index in range(len(raw)):
        for flip in (0x01, 0x80):
            changed = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]
            forged = "task_" + base64.urlsafe_b64encode(changed).decode().rstrip("=")
            assert decode_task_id("s3cret:0", forged) is None, index


def test_a_fingerprint_is_stable_and_tells_tokens_and_secrets_apart() -> None:
    fingerprint = owner_fingerprint("s3cret", "sk-one")
    assert len(fingerprint) == 12 and int(fingerprint, 16) >= 0
    assert owner_fingerprint("s3cret", "sk-one") == fingerprint
    assert owner_fingerprint("s3cret", "sk-two") != fingerprint
    assert owner_fingerprint("other", "sk-one") != fingerprint
    assert "sk-one" not in fingerprint
