"""Vidu's task callbacks, the pure part: signing, the delivery plan, its faults and journal, the URL policy.

Nothing here sends anything: the faces (`mockserver.live.callback_sender` over HTTP,
`pytest_plugin.callbacks` in process) take due deliveries from `CallbackOutbox` and report
what became of them. See docs/callbacks.md.
"""

from mockserver.contract.callbacks.faults import (
    CALLBACK_FAULTS,
    CALLBACK_STATES,
    CallbackFault,
    CallbackRule,
    CallbackState,
)
from mockserver.contract.callbacks.outbox import (
    MAX_ATTEMPTS,
    RETRY_BACKOFF_SECONDS,
    CallbackOutbox,
    Delivery,
    DeliveryRecord,
    Outbound,
)
from mockserver.contract.callbacks.signing import signature_headers, signing_string, verify
from mockserver.contract.callbacks.targets import refusal

__all__ = [
    "CALLBACK_FAULTS",
    "CALLBACK_STATES",
    "MAX_ATTEMPTS",
    "RETRY_BACKOFF_SECONDS",
    "CallbackFault",
    "CallbackOutbox",
    "CallbackRule",
    "CallbackState",
    "Delivery",
    "DeliveryRecord",
    "Outbound",
    "refusal",
    "signature_headers",
    "signing_string",
    "verify",
]
