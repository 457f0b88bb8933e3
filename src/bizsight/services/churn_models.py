"""Churn model files: ``churn-<UTC time>-v<n>.joblib`` with a JSON of metadata beside each, in a
directory (``.bizsight/models/churn`` for a project). The highest version is the latest."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from bizsight.analytics.churn import ChurnModel
from bizsight.errors import InvalidArgumentError

_ARTEFACT = re.compile(r"churn-(\d{8}T\d{6}Z)-v(\d+)\.joblib$")


def artefact_version(name: str) -> int | None:
    """The version of a model file name, None for other files.

    >>> artefact_version("churn-20260101T120000Z-v3.joblib"), artefact_version("notes.txt")
    (3, None)
    """
    found = _ARTEFACT.match(name)
    return int(found.group(2)) if found else None


def save_model(model: ChurnModel, metadata: dict[str, Any], directory: Path) -> Path:
    """Write ``churn-<UTC time>-v<n>.joblib`` (n one above the highest present) and a JSON beside it
    with the metadata, version and time; return the artefact's path."""
    import joblib

    directory.mkdir(parents=True, exist_ok=True)
    versions = [v for f in directory.iterdir() if (v := artefact_version(f.name)) is not None]
    version = max(versions, default=0) + 1
    now = dt.datetime.now(dt.UTC)
    path = directory / f"churn-{now:%Y%m%dT%H%M%SZ}-v{version}.joblib"
    joblib.dump(model, path)
    record = {"version": version, "created_at": now.isoformat(), "artefact": path.name} | metadata
    path.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str))
    return path


def latest_model(directory: Path) -> tuple[ChurnModel, dict[str, Any]]:
    """The highest version in ``directory`` and its metadata."""
    import joblib

    found = [(v, f) for f in directory.glob("churn-*.joblib") if (v := artefact_version(f.name)) is not None]
    if not found:
        raise InvalidArgumentError(f"no churn model in {directory}")
    _, path = max(found)
    return joblib.load(path), json.loads(path.with_suffix(".json").read_text())
