"""Files uploaded to the server for an ingest job: safe names, a size limit, nothing left over.

An upload goes to a directory of its own under ``.bizsight/uploads/`` (the ingest job removes
it when it ends). Each file keeps its base name — ingest recognises entities by file name — made
safe: no directories, no leading dots, only plain characters. The name the user gave each file is
kept beside them (``.names.json``), so that loads, quarantine and quality reports show it rather
than the temporary path (:func:`uploaded_name`).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from bizsight.errors import InvalidArgumentError, PayloadTooLargeError
from bizsight.services.project import Project

UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_NAME = 120
MAX_FILES = 50
MB = 1024 * 1024
NAMES = ".names.json"  # saved file name → the name the user uploaded it as


def uploads_dir(project: Project) -> Path:
    return project.paths.state_dir / "uploads"


def safe_name(name: str) -> str:
    """The base name of a client's file name, safe to create in a directory of our own.

    >>> safe_name("../../etc/passwd")
    'passwd'
    >>> safe_name("C:\\\\Users\\\\ana\\\\sales_transactions.csv")
    'sales_transactions.csv'
    >>> safe_name("..")
    'upload'
    >>> safe_name(".hidden/ventas ñ.csv")
    'ventas n.csv'
    """
    base = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = UNSAFE.sub("_", base).strip(" .")
    if len(base) > MAX_NAME:
        suffix = "".join(PurePosixPath(base).suffixes)[-20:]
        base = base[: MAX_NAME - len(suffix)] + suffix
    return base or "upload"


def shown_name(name: str) -> str:
    """The base name of a client's file name as the user knows it (for display, never a path).

    >>> shown_name("C:\\\\Users\\\\ana\\\\ventas ñ.csv")
    'ventas ñ.csv'
    >>> shown_name("../x\\ny.csv")
    'x y.csv'
    """
    base = PureWindowsPath(PurePosixPath(name).name).name
    return " ".join("".join(c if c.isprintable() else " " for c in base).split()) or safe_name(name)


def uploaded_name(project: Project, path: Path) -> str | None:
    """The name the user uploaded ``path`` as, when it is a file of an upload; else None."""
    folder = path.resolve().parent
    if folder.parent != uploads_dir(project).resolve():
        return None
    try:
        names = json.loads((folder / NAMES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path.name
    shown = names.get(path.name) if isinstance(names, dict) else None
    return shown if isinstance(shown, str) and shown else path.name


class UploadSink:
    """Receives the files of one upload, one at a time, and keeps them under the limit (all
    files together). Anything wrong removes the whole upload: nothing is kept."""

    def __init__(self, project: Project, limit_mb: float) -> None:
        self.limit = int(limit_mb * MB)
        self.limit_mb = limit_mb
        self.dir = uploads_dir(project) / secrets.token_hex(8)
        self.files: list[Path] = []
        self.names: dict[str, str] = {}
        self.size = 0
        self._current: BinaryIO | None = None

    def begin(self, client_name: str) -> Path:
        if len(self.files) >= MAX_FILES:
            self.abort()
            raise InvalidArgumentError(f"upload at most {MAX_FILES} files at once")
        self.dir.mkdir(parents=True, exist_ok=True)
        name = safe_name(client_name)
        path = self.dir / name
        stem, suffix = _split(name)
        n = 2
        while path.exists():  # the same name twice: ingest still recognises name_2.csv
            path = self.dir / f"{stem}_{n}{suffix}"
            n += 1
        self._close()
        self._current = path.open("xb")
        self.files.append(path)
        self.names[path.name] = shown_name(client_name)
        (self.dir / NAMES).write_text(json.dumps(self.names), encoding="utf-8")
        return path

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.abort()
            raise PayloadTooLargeError(f"the upload is larger than the server allows ({self.limit_mb:g} MB)")
        if self._current is None:
            raise InvalidArgumentError("file data outside a file part")
        self._current.write(data)

    def end(self) -> None:
        self._close()

    def abort(self) -> None:
        self._close()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.files = []

    def _close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None


def _split(name: str) -> tuple[str, str]:
    path = PurePosixPath(name)
    return (path.stem, path.suffix) if path.suffix else (name, "")
