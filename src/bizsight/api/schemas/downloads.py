"""What the download routes declare in OpenAPI instead of a JSON model: a file in the format
asked for (``?format=csv|xlsx|parquet``), sent as an attachment."""

from __future__ import annotations

from typing import Any

from bizsight.services.exports import ExportFormat

_FILE = {"schema": {"type": "string", "format": "binary"}}

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file, streamed (Content-Disposition: attachment; filename=bizsight-...)",
        "content": {fmt.media_type.split(";")[0]: _FILE for fmt in ExportFormat},
    }
}
