"""Reading a `multipart/form-data` body (what the OpenAI SDK's `videos.create` sends) into fields.

The parsing is `multipart`'s `PushMultipartParser`: a small, well-kept, sans-I/O parser (it
takes bytes and yields events; nothing is spooled to disk), so the core stays pure. What a
form holds is capped: the number of parts, and the size of each (an uploaded image too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from multipart import MultipartError, MultipartSegment, ParserLimitReached, PushMultipartParser, parse_options_header

from mockserver.contract.errors import ApiError

__all__ = ["MAX_PARTS", "FormData", "Upload", "read_form"]

MAX_PARTS = 64
"""More parts than this is an `invalid_multipart_form` (ours: a video request has ten fields)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: its part's name, filename, declared type and bytes."""

    name: str
    filename: str
    content_type: str | None
    data: bytes

    def described(self) -> dict[str, object]:
        """What the journal keeps of it: never the bytes."""
        return {"filename": self.filename, "content_type": self.content_type, "bytes": len(self.data)}


@dataclass(slots=True)
class FormData:
    """The text fields (every value, in order) and the uploaded files of one form."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


def _boundary(content_type: str) -> str:
    _, options = parse_options_header(content_type)
    boundary: str = options.get("boundary", "")
    if not boundary:
        # net/http's words (mime/multipart), which new-api returns as invalid_multipart_form.
        raise ApiError("invalid_multipart_form", "no multipart boundary param in Content-Type", "Content-Type")
    return boundary


def _text(segment: MultipartSegment, data: bytes) -> str:
    try:
        return data.decode(segment.charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        raise ApiError(
            "invalid_multipart_form", f"The form field {segment.name[:40]!r} is not valid UTF-8 text.", segment.name
        ) from None


def read_form(body: bytes, content_type: str, max_part_bytes: int) -> FormData:
    """The fields and files of `body`, or raise `ApiError` (`invalid_multipart_form`, 413 for a part too large)."""
    form = FormData()
    segment: MultipartSegment | None = None
    chunks: list[bytes] = []
    try:
        with PushMultipartParser(
            _boundary(content_type), len(body), max_segment_count=MAX_PARTS, max_segment_size=max_part_bytes
        ) as parser:
            for event in parser.parse(body):
                if isinstance(event, MultipartSegment):
                    segment, chunks = event, []
                elif event is not None:
                    chunks.append(event)
                elif segment is not None:
                    _keep(form, segment, b"".join(chunks))
            parser.close()
    except ParserLimitReached as limit:
        if segment is not None and segment.bytes_received > max_part_bytes:
            raise ApiError(
                "payload_too_large", f"The part {segment.name[:40]!r} is over {max_part_bytes} bytes.", segment.name
            ) from None
        raise ApiError("invalid_multipart_form", f"The form is too large: {limit}.") from None
    except MultipartError as broken:
        raise ApiError("invalid_multipart_form", f"The multipart body could not be read: {broken}.") from None
    return form


def _keep(form: FormData, segment: MultipartSegment, data: bytes) -> None:
    name = segment.name or ""
    if segment.filename is not None:
        form.files.setdefault(name, Upload(name, segment.filename, segment.content_type, data))
    else:
        form.fields.setdefault(name, []).append(_text(segment, data))
