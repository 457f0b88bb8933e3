"""A multipart upload read as it arrives and written straight to an :class:`UploadSink`, so a
file over the limit is refused (413) while it streams, and nothing of it is kept."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from bizsight.errors import InvalidArgumentError, PayloadTooLargeError
from bizsight.services.uploads import UploadSink

FIELD_SLACK = 1024 * 1024  # bytes of multipart framing and small fields allowed beside the files

# The request body of POST /ingest in the OpenAPI document (the handler reads the stream itself).
OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "one or more files to ingest, named as ingest expects "
                            "(sales_transactions.csv, customer_database.csv, ...)",
                        }
                    },
                }
            }
        },
    }
}


async def receive_files(request: Request, sink: UploadSink) -> list[Path]:
    """Every file part of the request body, written to ``sink``; the paths written."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidArgumentError("send the files as multipart/form-data (form field 'files')")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > sink.limit + FIELD_SLACK:
        raise PayloadTooLargeError(f"the upload is larger than the server allows ({sink.limit_mb:g} MB)")
    part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.header_value += data[start:end]

    def on_header_end() -> None:
        if part.header_name.lower() == b"content-disposition":
            part.disposition = part.header_value
        part.header_name, part.header_value = b"", b""

    def on_headers_finished() -> None:
        _, params = parse_options_header(part.disposition)
        filename = params.get(b"filename")
        part.is_file = filename is not None
        if filename is not None:
            sink.begin(filename.decode("utf-8", "replace"))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if part.is_file:
            sink.write(data[start:end])

    def on_part_end() -> None:
        if part.is_file:
            sink.end()
        part.disposition, part.is_file = b"", False

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > sink.limit + FIELD_SLACK:
                raise PayloadTooLargeError(
                    f"the upload is larger than the server allows ({sink.limit_mb:g} MB)"
                )
            parser.write(chunk)
        parser.finalize()
    except FormParserError as err:
        sink.abort()
        raise InvalidArgumentError(f"malformed multipart body: {err}") from None
    except BaseException:
        sink.abort()  # over the limit, a dropped connection, ...: nothing is kept
        raise
    sink.end()
    if not sink.files:
        sink.abort()
        raise InvalidArgumentError("no files in the upload (send them in the form field 'files')")
    return list(sink.files)


class _Part:
    def __init__(self) -> None:
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.is_file = False
