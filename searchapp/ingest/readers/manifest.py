"""The manifest: a CSV of metadata for one-article files (``file,title,outlet,published,url``, and ``id``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ...errors import SourceError
from .common import decode


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """file name -> {title, outlet, published, url, id} from a manifest CSV."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read manifest: {exc}") from None
    text, warning = decode(raw)
    if text is None:
        raise SourceError(f"{path}: cannot read manifest: {warning}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "file" not in [f.strip().lower() for f in reader.fieldnames]:
        raise SourceError(f"{path}: a manifest needs a 'file' column (columns file,title,outlet,published,url)")
    entries = {}
    try:
        for row in reader:
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
            if row.get("file"):
                entries[Path(row["file"]).name] = row
    except csv.Error as exc:
        raise SourceError(f"{path}:{reader.line_num}: invalid manifest CSV: {exc}") from None
    return entries
