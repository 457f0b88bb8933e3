"""The ingest use case: resolve every file first, then load each one atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bizsight.console import Reporter
from bizsight.errors import InputFileError
from bizsight.ingest import readers
from bizsight.ingest.loader import LoadResult, load_file
from bizsight.ingest.sources import (
    SourceFile,
    UnknownEntityError,
    discover,
    in_load_order,
    with_headers,
)
from bizsight.services import privacy
from bizsight.services.project import Project
from bizsight.services.uploads import uploaded_name


@dataclass
class IngestSummary:
    results: list[LoadResult] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # files in a directory that hold no entity
    created_project: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "created_project": self.created_project,
            "files": [
                {
                    "file": r.source_name or str(r.path),
                    "entity": r.entity,
                    "load_id": r.load_id,
                    "already_loaded_as": r.already_loaded_as,
                    "rows_read": r.rows_read,
                    "loaded": r.loaded,
                    "inserted": r.counts.get("insert", 0),
                    "updated": r.counts.get("update", 0),
                    "quarantined": r.quarantined,
                    "quarantined_by_rule": r.quality.get("quarantined_by_rule", {}),
                    "exact_duplicates": r.counts.get("exact_duplicate", 0),
                    "resent_duplicates": r.counts.get("resent_duplicate", 0),
                    "duplicates_skipped": r.duplicates,
                    "placeholders_created": r.placeholders,
                    "typed_read": r.typed_read,
                }
                for r in self.results
            ],
            "skipped_files": [str(path) for path in self.skipped],
        }


def ingest(project: Project, paths: list[Path], reporter: Reporter) -> IngestSummary:
    """Load ``paths`` (files or directories) into the project's warehouse."""
    summary = IngestSummary(created_project=project.init())
    settings = project.settings
    candidates, summary.skipped = discover(paths, settings, project.root)
    with project.warehouse() as wh:
        # Check every file's headers before loading any, so one bad file stops nothing halfway.
        resolved: list[SourceFile] = []
        for candidate, explicit in candidates:
            try:
                resolved.append(
                    with_headers(candidate, readers.headers(wh, candidate.path, candidate.format))
                )
            except InputFileError as err:
                # In a directory, a file that neither its name nor its content places is not ours.
                unplaced = isinstance(err, UnknownEntityError) or not candidate.entity.name
                if explicit or not unplaced:
                    raise
                summary.skipped.append(candidate.path)
        for path in summary.skipped:
            reporter.warn(f"skipped {path}: not a file bizsight recognises")
        sources = in_load_order(resolved)
        for done, source in enumerate(sources):
            reporter.advance(done, len(sources), f"{source.entity.name}: {source.path.name}")
            result = load_file(wh, source, settings, reporter, shown=uploaded_name(project, source.path))
            if result.load_id is not None:
                _write_report(project, result)
                privacy.apply_erasures(wh)  # a file loaded again must not bring erased data back
            summary.results.append(result)
        reporter.advance(len(sources), len(sources))
    return summary


def _write_report(project: Project, result: LoadResult) -> None:
    """The load's quality report as JSON, written whole or not at all."""
    project.paths.reports_dir.mkdir(parents=True, exist_ok=True)
    target = project.paths.reports_dir / f"load-{result.load_id:06d}.json"
    partial = target.with_suffix(".json.tmp")
    partial.write_text(json.dumps(result.quality, indent=2, default=str), encoding="utf-8")
    partial.replace(target)
