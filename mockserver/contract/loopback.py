"""Whether a host name or address can only mean this machine: the one loopback predicate (pure).

Used for the address the mock binds (`mockserver`, `mockserver record`: a warning when it is
not loopback), the `Host` names it answers to (`RequestGuard`) and the caller an admin
request comes from (`/__mock/` answers loopback callers only). The rule (docs/architecture.md):

- `localhost`, in any case, with or without its final dot: `localhost.` is the same name,
  fully qualified (RFC 6761 reserves it for loopback);
- an address in 127.0.0.0/8 or `::1`, bare or bracketed (`[::1]`), an IPv6 zone (`%lo`) ignored;
- an IPv4-mapped IPv6 address of a loopback one (`::ffff:127.0.0.1`: how a dual-stack
  socket shows a 127.0.0.1 caller).

Anything else is not: another name may resolve anywhere (names below `localhost.` too,
which not every resolver keeps on loopback), and `0.0.0.0` or `::` means every interface.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether `host` (a name, an address, or an address in brackets) reaches this machine only."""
    if host.lower() in ("localhost", "localhost."):
        return True
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
