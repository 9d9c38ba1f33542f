"""vcrpy and pytest-recording cassettes read as recordings, so `--replay` serves them too.

A cassette (YAML, vcrpy's format version 1) lists interactions: a request (`method`,
`uri`, `headers` as lists, `body`) and its response (`status.code`, `headers`, `body.string`).
Each becomes an `Exchange`, classified as the recorder does (create, poll, content, other),
so a cassette gains the mock's journal, dashboard and near misses. Reading one needs PyYAML
(`pip install 'vidu-mock[cassettes]'`); nothing is imported until a cassette is read.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockserver.contract.header_fields import header_problem
from mockserver.contract.replay.format import Exchange, RecordingFormatError
from mockserver.contract.replay.matching import created_task_id, video_url_in
from mockserver.contract.routes.paths import endpoint_of

__all__ = ["CASSETTE_SUFFIXES", "read_cassette", "read_cassettes"]

CASSETTE_SUFFIXES = (".yaml", ".yml")
# A compressed body (vcrpy keeps what the server sent) is inflated up to what the recorder keeps, no further.
_MAX_INFLATED = 16 * 1024 * 1024
_MAX_INTERACTIONS = 100_000


def read_cassettes(path: Path) -> list[Exchange]:
    """The interactions of one cassette file, or of every cassette under a folder (by name), numbered in order."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in CASSETTE_SUFFIXES)
    exchanges: list[Exchange] = []
    for file in files:
        for exchange in read_cassette(file):
            exchanges.append(replace(exchange, seq=len(exchanges) + 1))
    return exchanges


def read_cassette(path: Path) -> list[Exchange]:
    """The interactions of the cassette at `path`; `RecordingFormatError` names what is wrong."""
    try:
        import yaml
    except ModuleNotFoundError:
        raise RecordingFormatError("reading a cassette needs PyYAML: pip install 'vidu-mock[cassettes]'") from None
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RecordingFormatError(
            f"{Path(path).name}: not a readable YAML cassette ({type(error).__name__})"
        ) from None
    interactions = document.get("interactions") if isinstance(document, Mapping) else None
    if not isinstance(interactions, list) or len(interactions) > _MAX_INTERACTIONS:
        raise RecordingFormatError(f"{Path(path).name}: a cassette holds a list of interactions")
    exchanges: list[Exchange] = []
    videos: dict[str, str] = {}  # a video URL's path seen in a poll -> its task id
    for number, interaction in enumerate(interactions, start=1):
        try:
            exchange = _exchange(number, interaction, videos)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RecordingFormatError(f"{Path(path).name}: interaction {number} is not vcrpy's ({error})") from None
        for where, headers in (("request", exchange.request_headers), ("response", exchange.response_headers)):
            for name, value in headers.items():
                problem = header_problem(name, value)
                if problem is not None:  # a CR or LF would split the replayed answer
                    raise RecordingFormatError(f"{Path(path).name}: interaction {number} {where}: {problem}")
        exchanges.append(exchange)
        url = video_url_in(exchange.response_json()) if exchange.endpoint == "poll" else None
        if url and exchange.task_id:
            videos.setdefault(urlsplit(url).path, exchange.task_id)
    return exchanges


def _exchange(number: int, interaction: Mapping[str, Any], videos: Mapping[str, str]) -> Exchange:
    request, response = interaction["request"], interaction["response"]
    url = urlsplit(str(request["uri"]))
    method, path = str(request["method"]).upper(), url.path or "/"
    response_headers = _headers(response.get("headers"))
    body = _bytes(response.get("body", {}).get("string"))
    encoding = response_headers.pop("content-encoding", "").lower()
    if encoding in ("gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
        body = inflater.decompress(body, _MAX_INFLATED)
    endpoint, task_id = endpoint_of(method, path)
    if endpoint == "other" and path in videos:
        endpoint, task_id = "content", videos[path]
    if endpoint == "create":
        task_id = created_task_id(body)
    return Exchange(
        seq=number,
        method=method,
        path=path,
        query=url.query,
        status=int(response["status"]["code"]),
        request_headers={k: v for k, v in _headers(request.get("headers")).items() if k != "host"},
        request_body=_bytes(request.get("body")),
        response_headers=response_headers,
        response_body=body,
        endpoint=endpoint,
        task_id=task_id,
    )


def _headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        return {}
    flat: dict[str, str] = {}
    for name, values in headers.items():
        values = values if isinstance(values, list) else [values]
        flat[str(name).lower()] = ", ".join(str(v) for v in values)
    return flat


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return str(body).encode("utf-8")
