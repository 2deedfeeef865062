"""The results folder of a sweep: one Parquet file per trial, all with one declared schema.

Every trial file holds one row with exactly the columns of a :class:`RecordLayout`
(parameters and metrics that a trial did not produce are nulls), so
``pandas.read_parquet(folder)`` returns every trial and every column. File names
are built only from 16-hex-digit trial ids, so a result path is always directly
inside the folder. Files are written atomically; a file that cannot be read back,
or that holds another trial than its name says, is *corrupt*: it does not count as
finished.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError, InvalidValueError, require
from ..model.io import _atomic_write

#: The columns every trial record has whatever the trial computes (name -> Arrow type).
BASE_COLUMNS = {
    "trial_id": "string",
    "status": "string",
    "error": "string",
    "traceback": "string",
    "seconds": "float64",
    "config_fingerprint": "string",
}

_ID = re.compile(r"[0-9a-f]{16}")
_NAME = re.compile(r"trial-([0-9a-f]{16})\.parquet")


@dataclass(frozen=True)
class RecordLayout:
    """The columns of a trial record: id, parameters, metrics, then the status columns.

    ``parameters`` and ``metrics`` map column names to Arrow type names (``"int64"``,
    ``"float64"``, ``"bool"``, ``"string"``). This is the one declaration of what a
    results file holds; adding a metric is one entry in the trial's metrics mapping.
    """

    parameters: Mapping[str, str]
    metrics: Mapping[str, str]

    def __post_init__(self) -> None:
        names = self.names
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise InvalidValueError(f"sweep record: column name(s) {clash} used twice")
        try:
            self.schema  # noqa: B018 -- validates every type name now, not at the first write
        except (ValueError, KeyError) as exc:
            raise InvalidValueError(f"sweep record: unknown column type ({exc})") from None

    @property
    def names(self) -> list[str]:
        return ["trial_id", *self.parameters, *self.metrics, *list(BASE_COLUMNS)[1:]]

    @property
    def schema(self) -> object:
        """The Arrow schema of every trial file."""
        pa = require("pyarrow", "dist")
        types = {**BASE_COLUMNS, **self.parameters, **self.metrics}
        return pa.schema([(n, pa.type_for_alias(types[n])) for n in self.names])


def fingerprint(fixed: Mapping[str, object], trial: str, layout: RecordLayout) -> str:
    """16 hex digits identifying a configuration: its fixed settings, trial and columns."""
    text = json.dumps(
        {"fixed": dict(sorted(fixed.items())), "trial": trial, "schema": str(layout.schema)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def trial_path(results: Path, trial_id: str) -> Path:
    """``results/trial-<id>.parquet``; refuses any id that is not 16 hex digits."""
    if not isinstance(trial_id, str) or not _ID.fullmatch(trial_id):
        raise InvalidValueError(f"trial id {trial_id!r} is not 16 hexadecimal digits")
    return results / f"trial-{trial_id}.parquet"


def trial_files(results: Path) -> list[Path]:
    """The trial files of a results folder, sorted (other files are not results)."""
    found = results.glob("trial-*.parquet")
    return sorted(p for p in found if _NAME.fullmatch(p.name) and p.is_file())


def write_record(
    results: Path,
    trial: Mapping[str, object],
    outcome: Mapping[str, object],
    layout: RecordLayout,
    config_fingerprint: str,
) -> None:
    """Write one trial's record atomically to ``results/trial-<id>.parquet``.

    ``trial`` is ``{"trial_id", "params"}`` as the sweep made it (the id and the
    parameters never come from the worker); ``outcome`` is what :func:`run_guarded`
    returned. Metrics the layout does not declare, or values of the wrong type, turn
    the record into a failed one with that reason: nothing is written that breaks the
    common schema.
    """
    pa = require("pyarrow", "dist")
    pq = require("pyarrow.parquet", "dist")
    path = trial_path(results, trial["trial_id"])
    base = {
        **trial["params"],
        "trial_id": trial["trial_id"],
        "status": outcome["status"],
        "error": outcome["error"],
        "traceback": outcome.get("traceback"),
        "seconds": outcome.get("seconds"),
        "config_fingerprint": config_fingerprint,
    }
    metrics = outcome.get("metrics") or {}
    undeclared = sorted(set(metrics) - set(layout.metrics))
    if undeclared:
        table, problem = None, f"returned undeclared metric(s) {undeclared}"
    else:
        try:
            table, problem = _table(pa, {**metrics, **base}, layout.schema), None
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            table, problem = None, f"returned a value that does not fit its column ({exc})"
    if table is None:
        failed = {**base, "status": "failed", "error": f"InvalidRecordError: the trial {problem}"}
        table = _table(pa, failed, layout.schema)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    _atomic_write(path, buf.getvalue())


def _table(pa: object, row: Mapping[str, object], schema: object) -> object:
    return pa.Table.from_pydict(
        {f.name: pa.array([row.get(f.name)], type=f.type) for f in schema}, schema=schema
    )


@dataclass(frozen=True)
class FolderState:
    """What a results folder holds, read file by file.

    ``finished`` maps trial ids to their config fingerprint; ``corrupt`` maps the
    path of each unreadable or mislabelled file to the reason.
    """

    finished: Mapping[str, str]
    corrupt: Mapping[Path, str]


def read_record(path: Path) -> object:
    """The Arrow table of one trial file; :class:`FileFormatError` naming it if corrupt."""
    pa = require("pyarrow", "dist")
    pq = require("pyarrow.parquet", "dist")
    expected = _NAME.fullmatch(path.name)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileFormatError(f"{path}: corrupt or truncated result file ({exc})") from None
    ids = table.column("trial_id").to_pylist() if "trial_id" in table.column_names else []
    if expected is None or ids != [expected.group(1)]:
        raise FileFormatError(
            f"{path}: corrupt result file (holds trial(s) {ids[:3]}, not the one its name says)"
        )
    return table


def scan(results: Path) -> FolderState:
    """Read every trial file of ``results``: which trials are finished, which files corrupt."""
    finished: dict[str, str] = {}
    corrupt: dict[Path, str] = {}
    for path in trial_files(results):
        try:
            table = read_record(path)
        except FileFormatError as exc:
            corrupt[path] = str(exc)
            continue
        prints = (
            table.column("config_fingerprint").to_pylist()
            if "config_fingerprint" in table.column_names
            else [None]
        )
        finished[table.column("trial_id")[0].as_py()] = prints[0]
    return FolderState(finished, corrupt)


def read_records(paths: Iterable[Path]) -> object:
    """All records as one Arrow table (schemas unified: a mixed folder keeps every column)."""
    pa = require("pyarrow", "dist")
    paths = list(paths)
    tables = [read_record(p) for p in paths]
    try:
        return pa.concat_tables(tables, promote_options="permissive") if tables else None
    except pa.ArrowException as exc:
        raise FileFormatError(
            f"{paths[0].parent}: trial files with incompatible columns ({exc})"
        ) from None
