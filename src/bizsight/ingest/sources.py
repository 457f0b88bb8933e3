"""Which files to load, as which entity, with which column mapping.

Resolution happens for every file before anything is loaded, so that a typo in one path or one
header stops the command with a clear message instead of leaving half the files loaded.
"""

from __future__ import annotations

import contextlib
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from bizsight.config import DateOrder, Settings, SourceMapping
from bizsight.errors import InputFileError, did_you_mean
from bizsight.ingest.presets import DEFAULT, PRESETS, Preset, detect_preset, normalize_header
from bizsight.ingest.readers import Format, format_of
from bizsight.warehouse.model import BY_NAME, ENTITIES, Entity


@dataclass(frozen=True)
class SourceFile:
    """One file to load, as resolved before loading."""

    path: Path
    format: Format
    entity: Entity
    preset: Preset
    mapping: SourceMapping | None = None
    # canonical column → source column, filled once the headers are known
    columns: dict[str, str] = field(default_factory=dict)
    date_order: DateOrder = DateOrder.AUTO
    headers: tuple[str, ...] = ()  # the file's headers in order, once known


class UnknownEntityError(InputFileError):
    """Neither the file's name, nor bizsight.yml, nor its headers say which entity it holds."""


def discover(
    paths: list[Path], settings: Settings, project_root: Path
) -> tuple[list[tuple[SourceFile, bool]], list[Path]]:
    """Candidate files, each with whether it was named explicitly (a file in a named directory
    that turns out to hold no entity is skipped rather than an error), and the files of named
    directories that are of no readable type."""
    found: list[tuple[SourceFile, bool]] = []
    unreadable: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputFileError(f"{path}: no such file or directory")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if format_of(child) is None:
                    unreadable.append(child)
                else:
                    found.append((_identify(child, settings, project_root), False))
        else:
            found.append((_identify(path, settings, project_root), True))
    return found, unreadable


def in_load_order(sources: list[SourceFile]) -> list[SourceFile]:
    """Dimensions before the facts that reference them."""
    order = {entity.name: i for i, entity in enumerate(ENTITIES)}
    return sorted(sources, key=lambda s: (order[s.entity.name], str(s.path)))


def _identify(path: Path, settings: Settings, root: Path) -> SourceFile:
    fmt = format_of(path)
    if fmt is None:
        raise InputFileError(
            f"{path}: unknown file type '{path.suffix}' (expected .csv, .tsv, .xlsx, .parquet or .jsonl)"
        )
    mapping = _mapping_for(path, settings, root)
    preset = PRESETS[mapping.preset] if mapping and mapping.preset else None
    entity_name = (
        (mapping.entity if mapping else None) or (preset.entity if preset else None) or _entity_by_name(path)
    )
    if entity_name is None:
        entity_name = ""  # left to the headers (a UCI export under any name): see with_headers()
    entity = BY_NAME.get(entity_name)
    if entity_name and entity is None:
        raise InputFileError(f"{path}: unknown entity '{entity_name}'{did_you_mean(entity_name, BY_NAME)}")
    date_order = (mapping.date_order if mapping and mapping.date_order else None) or settings.date_order
    return SourceFile(path, fmt, entity or _UNKNOWN, preset or DEFAULT, mapping, date_order=date_order)


_UNKNOWN = Entity(name="", file_names=(), core_table="", columns=(), key=())


def _mapping_for(path: Path, settings: Settings, root: Path) -> SourceMapping | None:
    for mapping in settings.sources:
        pattern = mapping.path
        candidates = {path.name, str(path)}
        with contextlib.suppress(ValueError):  # a file outside the project
            candidates.add(str(path.resolve().relative_to(root.resolve())))
        if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
            return mapping
    return None


def _entity_by_name(path: Path) -> str | None:
    stem = normalize_header(path.stem)
    for entity in ENTITIES:
        if any(stem == name or stem.startswith(name + "_") for name in entity.file_names):
            return entity.name
    return None


def with_headers(source: SourceFile, headers: list[str]) -> SourceFile:
    """Map the file's headers onto the entity's columns, or explain in one line why not."""
    preset = source.preset
    mapping = source.mapping
    if preset is DEFAULT and not (mapping and mapping.preset):
        preset = detect_preset(headers)
    entity = source.entity
    if not entity.name:
        found = BY_NAME.get(preset.entity or "") or _entity_by_columns(headers)
        if found is None:
            raise UnknownEntityError(
                f"{source.path}: cannot tell what the file holds from its name or headers; name it "
                "like customer_database.csv, sales_transactions.csv, ... or map it under 'sources:' "
                "in bizsight.yml"
            )
        entity = found
    user = dict(mapping.columns) if mapping else {}
    ignored = set(mapping.ignore_columns) if mapping else set()
    for source_column in [*user, *ignored]:
        if source_column not in headers:
            raise InputFileError(
                f"{source.path}: bizsight.yml names column '{source_column}', which the file does not "
                f"have{did_you_mean(source_column, headers)}"
            )
    columns: dict[str, str] = {}
    by_source = {v: k for k, v in preset.columns.items()}
    for header in headers:
        if header in ignored:
            continue
        canonical = user.get(header) or by_source.get(header) or normalize_header(header)
        if canonical not in entity.column_names:
            raise InputFileError(
                f"{source.path}: unknown column '{header}' for {entity.name}"
                f"{did_you_mean(canonical, entity.column_names)}; map it under 'sources: columns:' or "
                "list it in 'ignore_columns:' in bizsight.yml"
            )
        if canonical in columns:
            raise InputFileError(
                f"{source.path}: columns '{columns[canonical]}' and '{header}' both map to '{canonical}'"
            )
        columns[canonical] = header
    missing = [name for name in entity.required if name not in columns and name not in preset.derived]
    if missing:
        raise InputFileError(
            f"{source.path}: missing required column '{missing[0]}' for {entity.name} "
            f"(the file has: {', '.join(headers)})"
        )
    # A setting wins over what the layout is known to use; "auto" leaves it to the preset, then the data.
    date_order = source.date_order if source.date_order is not DateOrder.AUTO else preset.date_order
    return SourceFile(
        source.path, source.format, entity, preset, mapping, columns, date_order, tuple(headers)
    )


def _entity_by_columns(headers: list[str]) -> Entity | None:
    names = {normalize_header(header) for header in headers}
    matches = [
        entity for entity in ENTITIES if set(entity.required) <= names and names <= set(entity.column_names)
    ]
    return matches[0] if len(matches) == 1 else None
