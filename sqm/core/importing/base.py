"""The import driver: check every row reading only, then write in one short transaction."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from sqm.core import audit, context
from sqm.core.importing import staging
from sqm.core.importing.reader import INVALID, UnreadableFile, open_table
from sqm.core.importing.staging import Stage, StageDrifted
from sqm.core.masking import mask_numbers
from sqm.core.models import AuditAction

MAX_REPORTED_ERRORS = 10_000
BATCH_SIZE = 2_000


@dataclass(frozen=True)
class RowError:
    """A bad cell: where and why. Reasons quote the bad value to help fix it; a mobile or ID
    number in one (a row whose values slid into the wrong columns) is kept masked, since
    errors are printed, stored with the job and shown on its page."""

    line: int
    column: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", mask_numbers(self.reason))

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.column}: {self.reason}"


@dataclass
class ImportResult:
    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = False
    link: str = ""  # where the imported data can be seen, when the importer knows

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error_lines(self) -> list[str]:
        return [e.format(self.filename) for e in self.errors]


class ImportAborted(Exception):
    """Raised inside the transaction to roll the whole import back."""


class RowInvalid(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


class Importer:
    """One kind of exchange file. Subclasses say which columns and how to write a batch.

    `clean_row` turns a raw row into a value (or raises RowInvalid / returns errors);
    `write` receives a batch of (line, value) and returns (created, updated) and may add
    errors for rows that only the database can judge (unknown references).
    """

    kind: str = ""
    # The kind as people read it (the upload page, the job's page, the audit log's 导入 客户).
    label: object = None
    # The permission that lets a user import this kind from the upload page (core.imports);
    # None: not offered there. A kind that needs more than a file (the survey takes its
    # questionnaire) sets `upload_page = False` and has a page of its own.
    permission: str | None = None
    upload_page: bool = True
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self) -> None:
        # Set by run_import before the check pass (an importer may prepare rows for writing).
        self.dry_run = False
        self.log_changes = True
        self.errors: list[RowError] = []
        self.error_count = 0
        self.seen: dict[str, int] = {}  # business key -> first line
        # Set by run_import for a real import of a valid file when `make_stage` gives one:
        # the spooled batches are staged, and `write` receives the stage once (staging.py).
        self.stage: Stage | None = None

    def error(self, line: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, column, reason))

    def unique_key(self, line: int, row: dict[str, str], column: str, max_length: int) -> str:
        """The row's business key, which must not repeat within the file."""
        from sqm.core.importing.fields import required

        value = required(row, column, max_length)
        first = self.seen.setdefault(value, line)
        if first != line:
            raise RowInvalid(
                column,
                _("%(id)s appears again (first on line %(line)d)") % {"id": value, "line": first},
            )
        return value

    def clean_row(self, line: int, row: dict[str, str]):
        raise NotImplementedError

    def check(self, batch: list[tuple[int, object]]) -> tuple[int, int, list] | None:
        """Check a batch of cleaned rows against the database, reading only (no transaction,
        no lock); add errors for rows only the database can judge. Returns (would create,
        would update, the batch to write), or None to write the batch as it is and count
        nothing ahead."""
        return None

    def make_stage(self) -> Stage | None:
        """A Stage for this import's rows, if the importer writes through one: once every
        row passed the check, each checked batch goes to `stage_batch` outside the
        transaction, and `write` applies the stage."""
        return None

    def stage_batch(self, stage: Stage, batch: list[tuple[int, object]]) -> None:
        """Stage one checked batch (outside any transaction; it may add errors for references
        gone since the check, and the import then stops before writing)."""
        stage.add(batch, log_changes=self.log_changes)

    def begin(self) -> None:
        """Called first inside the write transaction (the survey importer saves its
        questionnaire here)."""

    def write(self, batch: list[tuple[int, object]], *, log_changes: bool) -> tuple[int, int]:
        """Write a checked batch inside the transaction; returns (created, updated). It may
        still add errors (a reference gone since the check): the import is then rolled back.
        An importer with a stage is called once with the Stage instead of a batch (`apply`
        it); only if it drifted (StageDrifted) is it called again with each spooled batch."""
        raise NotImplementedError

    def link(self) -> str:
        """A page showing what was imported, if there is one to point to."""
        return ""

    # `sqm import KIND FILE`: a kind that needs more than the common options adds its own
    # and says how it runs (the survey takes its questionnaire); core knows none of them.
    @classmethod
    def add_command_arguments(cls, parser) -> None:
        """Add the options of `sqm import` that only this kind takes."""

    @classmethod
    def run_command(cls, path: Path, options: dict, **common) -> ImportResult:
        """Import PATH for `sqm import`: OPTIONS are this kind's own options (those of
        `add_command_arguments`), COMMON the options of every import (`run_import`'s).
        May raise CommandError for a mistake in OPTIONS."""
        return run_import(cls.kind, path, **common)


registry: dict[str, type[Importer]] = {}


def register(cls: type[Importer]) -> type[Importer]:
    registry[cls.kind] = cls
    return cls


def kind_label(kind: str) -> str:
    """An import kind (`repairs`) as people read it: its importer's label, else the code."""
    importer = registry.get(kind)
    label = getattr(importer, "label", None) if importer is not None else None
    return str(label) if label else kind


def may_upload(user, kind: str) -> bool:
    """Whether USER may import KIND from the upload page."""
    importer = registry.get(kind)
    return (
        importer is not None
        and importer.upload_page
        and importer.permission is not None
        and user is not None
        and user.has_perm(importer.permission)
    )


def upload_kinds(user) -> list[tuple[str, str]]:
    """(kind, label) of every registered kind USER may import from the upload page, in the
    order the apps registered them."""
    return [(kind, kind_label(kind)) for kind in registry if may_upload(user, kind)]


ProgressCallback = Callable[[int, float | None], None]


class _Spool:
    """The checked batches between the two passes, pickled into a sealed temporary file
    (sqm.core.uploads): they hold personal data, which never rests in clear on disk."""

    def __init__(self) -> None:
        from sqm.core import uploads

        self.folder = tempfile.TemporaryDirectory(prefix="sqm-import-")
        self.path = Path(self.folder.name) / f"batches{uploads.SUFFIX}"
        self.writer = uploads.SealedWriter(self.path)

    def add(self, batch: list) -> None:
        self.writer.write(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))

    def batches(self) -> Iterator[list]:
        from sqm.core import uploads

        if not self.writer.handle.closed:  # read once to stage, again if the stage drifted
            self.writer.close()
        stream, _size = uploads.open_clear(self.path)
        with stream:
            while stream.peek(1):
                yield pickle.load(stream)  # our own sealed file: authenticated, not foreign

    def close(self) -> None:
        if not self.writer.handle.closed:
            self.writer.handle.close()
        self.folder.cleanup()


def run_import(
    kind: str,
    path: Path,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    user=None,
    progress: ProgressCallback | None = None,
    display_name: str | None = None,
    log_changes: bool = True,
    options: dict | None = None,
) -> ImportResult:
    """Import PATH as KIND. Nothing is written unless every row is valid (and not dry_run).
    OPTIONS go to the importer (the survey importer needs its questionnaire).

    Two passes, so the database's write lock is held only while writing:
    1. check — read and validate every row, and check references against the database,
       outside any transaction: this reads only, so a dry run ends here having written
       nothing and taken no lock. The checked batches are spooled (sealed) to a temporary
       file. Any bad row ends the import here.
       Then an importer with a stage (staging.py) stages the spooled batches, ready to write,
       in a TEMP table, which takes no lock on the database either.
    2. write — one transaction applies the stage in a few set-based statements (or, with
       no stage or one that drifted, replays the spooled batches). What it writes is
       checked again inside it (another writer may have changed a reference meanwhile), so
       the import stays all-or-nothing.
    """
    filename = display_name or str(path)
    result = ImportResult(kind=kind, filename=filename, dry_run=dry_run)
    try:
        importer = registry[kind](**(options or {}))
    except RowInvalid as exc:  # the options themselves are bad (a survey's questionnaire)
        result.errors, result.error_count = [RowError(0, exc.column, exc.reason)], 1
        return result
    importer.dry_run, importer.log_changes = dry_run, log_changes
    try:
        table = open_table(path, encoding)
    except UnreadableFile as exc:
        result.errors.append(RowError(1, "-", str(exc)))
        result.error_count = 1
        return result

    json_lines = table.header is None  # each line names its own keys
    missing = [] if json_lines else [c for c in importer.required if c not in table.header]
    if missing:
        for column in missing:
            importer.error(1, column, _("required column is missing from the header row"))
        result.errors, result.error_count = importer.errors, importer.error_count
        return result

    def report(share: float = 1.0) -> None:
        # The check pass is the first SHARE of the work; the write pass the rest.
        if progress is None:
            return
        if table.total_rows:
            progress(result.rows, share * min(1.0, table.position() / table.total_rows))
        elif table.total_bytes:
            progress(result.rows, share * min(1.0, table.position() / table.total_bytes))
        else:
            progress(result.rows, None)

    spool = None if dry_run else _Spool()
    try:
        _check_pass(importer, table, json_lines, result, spool, lambda: report(CHECK_SHARE))
        if not importer.error_count and not dry_run and staging.supported():
            importer.stage = importer.make_stage()
            if importer.stage is not None:
                _stage_pass(importer, spool, result, progress)
        if importer.error_count or dry_run:
            result.errors, result.error_count = importer.errors, importer.error_count
            return result
        result.created = result.updated = 0  # the write pass counts what it did
        _write_pass(importer, spool, result, kind, user, log_changes, progress)
    finally:
        if spool is not None:
            spool.close()
        if importer.stage is not None:
            importer.stage.close()
    result.errors, result.error_count = importer.errors, importer.error_count
    return result


# Share of the progress bar the check pass fills (it reads and validates the whole file),
# and where the staging pass, if any, ends.
CHECK_SHARE = 0.6
STAGE_END = 0.95


def _check_pass(importer, table, json_lines, result, spool, report) -> None:
    batch: list[tuple[int, object]] = []

    def flush() -> None:
        checked = importer.check(batch)
        if checked is not None:
            created, updated, valid = checked
            result.created += created
            result.updated += updated
        else:
            valid = batch
        if spool is not None and not importer.error_count and valid:
            spool.add(list(valid))
        batch.clear()

    try:
        for line, row in table.rows:
            result.rows += 1
            if INVALID in row:
                importer.error(line, "-", row[INVALID])
                continue
            if "__extra__" in row:
                importer.error(line, "-", _("more values than header columns"))
                continue
            if json_lines:
                absent = [c for c in importer.required if c not in row]
                if absent:
                    for column in absent:
                        importer.error(line, column, _("required key is missing"))
                    continue
            try:
                value = importer.clean_row(line, row)
            except RowInvalid as exc:
                importer.error(line, exc.column, exc.reason)
                continue
            if value is None:
                continue
            batch.append((line, value))
            if len(batch) >= BATCH_SIZE:
                flush()
                report()
        if batch:
            flush()
    except UnreadableFile as exc:
        importer.error(result.rows + 1, "-", str(exc))
    report()


def _stage_pass(importer, spool, result, progress) -> None:
    staged = 0
    for batch in spool.batches():
        importer.stage_batch(importer.stage, batch)
        staged += len(batch)
        if progress is not None and result.rows:
            progress(result.rows, CHECK_SHARE + (STAGE_END - CHECK_SHARE) * staged / result.rows)


def _write_pass(importer, spool, result, kind, user, log_changes, progress) -> None:
    if connection.vendor == "sqlite":
        # A large page cache keeps the growing unique and lookup-hash indexes in memory
        # during a big load (the default 2 MB makes every insert touch the disk).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    written = 0
    actor = context.acting_as(user, label=f"import:{kind}") if user else nullcontext()
    try:
        with actor, transaction.atomic():
            importer.begin()
            staged = importer.stage is not None
            if staged:
                try:
                    result.created, result.updated = importer.write(
                        importer.stage, log_changes=log_changes
                    )
                except StageDrifted:
                    staged = False  # nothing written yet: replay the spool the plain way
            for batch in [] if staged else spool.batches():
                created, updated = importer.write(batch, log_changes=log_changes)
                result.created += created
                result.updated += updated
                written += len(batch)
                if progress is not None and result.rows:
                    progress(result.rows, CHECK_SHARE + (1 - CHECK_SHARE) * written / result.rows)
            if importer.error_count:
                raise ImportAborted  # the database changed between the passes
            audit.record(
                AuditAction.IMPORT,
                user=user,
                target=f"import:{kind}",
                details={
                    "file": result.filename,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "per_row_change_log": log_changes,
                },
            )
    except ImportAborted:
        result.created = result.updated = 0
    else:
        result.link = importer.link()
