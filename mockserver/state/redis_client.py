"""Opening a Redis client for a `--state` URL: one Redis, or a Redis Cluster (or Valkey).

`redis://`, `rediss://` (TLS) and `unix://` open one server; `redis+cluster://host:port`
and `rediss+cluster://` name any one node of a cluster, and redis-py's `RedisCluster`
finds the rest. Nothing connects here: a client connects on first use, so a forked
worker (gunicorn) opens its own connections and a mock started before its Redis serves
503s until Redis answers.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["CLUSTER_SCHEMES", "SOCKET_TIMEOUT_SECONDS", "connect", "redis_errors"]

SOCKET_TIMEOUT_SECONDS = 1.0  # a slower Redis counts as down: requests get a 503, not a hang
#: `--state` schemes that name a node of a Redis Cluster, and the plain scheme each stands for.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def redis_errors() -> tuple[type[Exception], ...]:
    """What the client raises when Redis is down, slow or refuses (all become a 503)."""
    from redis import RedisError
    from redis.exceptions import RedisClusterException

    return RedisError, RedisClusterException


def connect(url: str) -> Any:
    """A client for `url`; `ValueError` (one line) without the redis package."""
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise ValueError("state redis://... needs the redis client: pip install 'vidu-mock[redis]'") from None
    scheme, separator, rest = url.partition("://")
    options: dict[str, Any] = {
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
    }
    if scheme in CLUSTER_SCHEMES:
        # One retry, no back-off: the cluster client retries on a moved slot or a broken
        # connection by itself, and a second failure is a 503 the caller may retry.
        return _LazyCluster(f"{CLUSTER_SCHEMES[scheme]}{separator}{rest}", retry=Retry(NoBackoff(), 1), **options)
    # One retry, on a broken connection only: a pooled connection Redis dropped when it
    # restarted reconnects unseen. Never on a timeout: the script may have run.
    retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
    return redis.Redis.from_url(url, retry=retry, **options)


class _LazyCluster:
    """A `RedisCluster` built on first use (building one asks a node for the cluster's map).

    A build that fails is tried again on the next call.
    """

    def __init__(self, url: str, **options: Any) -> None:
        self._url, self._options = url, options
        self._client: Any = None
        self._lock = threading.Lock()

    def _cluster(self) -> Any:
        with self._lock:
            if self._client is None:
                from redis.cluster import RedisCluster

                self._client = RedisCluster.from_url(self._url, **self._options)
            return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster(), name)

    def close(self) -> None:
        """Close the cluster's connections, if it was ever built."""
        if self._client is not None:
            self._client.close()
