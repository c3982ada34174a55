"""The project's ledger: every file collect has ever seen, every answer of every version, the pictures in them and
what `status` needs, in one SQLite file inside the project (``.zonekit/ledger.sqlite3``).

A run's writes are one transaction (a killed run leaves the ledger as it was); nothing is ever deleted from it but
the cache of files on disk. Imports only the standard library and zonekit.layout, so `zonekit status` stays quick.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from zonekit import layout
from zonekit.errors import LedgerError

# ---------------------------------------------------------------- schema, one migration per version

# Version 1. Answers, texts and progress of a version are one JSON document (zonekit.intake.pack_content): written
# once by the worker that read the file, read back whole when a unit's versions are merged; the ``answers`` view
# shows them as rows. Fractions are "numerator/denominator" text, so every value is kept exactly.
SCHEMA_1 = """
CREATE TABLE rounds (            -- 填报轮次: versions and answers of one round never mix with another's
    name TEXT PRIMARY KEY,
    started TEXT NOT NULL,       -- ISO 8601, the first collect of the round
    closed TEXT                  -- set when the next round starts (zonekit round start)
);
CREATE TABLE runs (              -- one per collect that committed
    id INTEGER PRIMARY KEY,
    round TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    context TEXT NOT NULL,       -- fingerprint of what reading a return depends on (units, 任务分解, scheme …)
    zonekit TEXT NOT NULL,
    files INTEGER NOT NULL DEFAULT 0,  -- files found
    opened INTEGER NOT NULL DEFAULT 0  -- of which were opened (the rest came from the ledger)
);
CREATE TABLE versions (          -- one per distinct content received: a version of a unit's return, or a refused
    id INTEGER PRIMARY KEY,      -- or skipped file
    round TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    variant TEXT NOT NULL DEFAULT '',  -- '' when reading it does not depend on its file name or sender
    context TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    format TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',     -- the file name it was read under
    sender TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    identified_by TEXT NOT NULL DEFAULT '',
    identity TEXT NOT NULL DEFAULT '{}',
    saved_at TEXT NOT NULL DEFAULT '', -- the saved time inside the file, ISO 8601 UTC
    saved_from TEXT NOT NULL DEFAULT '',  -- core.xml | SummaryInformation | meta.xml
    ordered_at TEXT NOT NULL DEFAULT '',  -- when saved_at is not believable (later than arrival): its arrival
    state TEXT NOT NULL,         -- read | refused | skipped
    issues TEXT NOT NULL DEFAULT '[]', -- [[code, severity, message, unit, sheet, cell, value], …]
    missing TEXT NOT NULL DEFAULT '[]',
    content TEXT,                -- {"format", "answers", "texts", "progress"}; NULL when nothing was read
    seen_at TEXT NOT NULL,       -- when zonekit received it
    run INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (sha256, variant, context, round)
);
CREATE INDEX versions_unit ON versions (round, unit);
CREATE TABLE locations (         -- every place a version was found; kept when the file is moved or deleted
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL REFERENCES versions(id),
    path TEXT NOT NULL,          -- as 回收登记 shows it ('!' inside archives and e-mails)
    source TEXT NOT NULL,        -- the file on disk holding it (sources.path)
    origin TEXT NOT NULL,        -- JSON: how to read its bytes again (path, zip:member, eml:n …)
    file_time TEXT NOT NULL DEFAULT '',
    mailed_at TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    present INTEGER NOT NULL DEFAULT 1,  -- found by the last collect
    UNIQUE (path, version)
);
CREATE INDEX locations_source ON locations (source);
CREATE TABLE sources (           -- files on disk as the last collect saw them: unchanged ones are not opened again
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    context TEXT NOT NULL,
    round TEXT NOT NULL,
    run INTEGER NOT NULL
);
CREATE TABLE pictures (          -- pictures in a version, by the cell they sit on (evidence across versions)
    version INTEGER NOT NULL REFERENCES versions(id),
    seq INTEGER NOT NULL,
    sheet TEXT NOT NULL, cell TEXT NOT NULL, row INTEGER NOT NULL, col INTEGER NOT NULL,
    member TEXT NOT NULL, kind TEXT NOT NULL, indicator TEXT NOT NULL, key TEXT NOT NULL,
    sha256 TEXT NOT NULL,        -- of the image bytes: the same image in any version is the same picture
    size INTEGER NOT NULL, name TEXT NOT NULL,
    numbers TEXT NOT NULL,       -- JSON: every indicator the row feeds
    PRIMARY KEY (version, seq)
);
CREATE TABLE evidence (          -- pictures the last collect copied into 3-输出/佐证材料
    path TEXT PRIMARY KEY,       -- relative to 3-输出
    version INTEGER NOT NULL,
    unit TEXT NOT NULL, indicator TEXT NOT NULL, source TEXT NOT NULL,
    sheet TEXT NOT NULL, cell TEXT NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL, received_at TEXT NOT NULL,
    numbers TEXT NOT NULL,       -- JSON: every indicator it is evidence for
    kept TEXT NOT NULL           -- '' or the newer file that no longer carries it
);
CREATE TABLE snapshots (         -- results kept for commands that must not re-read (status)
    name TEXT PRIMARY KEY,
    written TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE VIEW answers AS           -- every answer and text of every version, one row each
    SELECT v.id AS version, v.round, v.unit, json_extract(a.value, '$[1]') AS kind,
           json_extract(a.value, '$[0]') AS key, json_extract(a.value, '$[2]') AS item,
           json_extract(a.value, '$[7]') AS year, json_extract(a.value, '$[10]') AS label,
           json_extract(a.value, '$[4]') AS typed, json_extract(a.value, '$[3]') AS value,
           json_extract(a.value, '$[5]') || '!' || json_extract(a.value, '$[6]') AS cell
    FROM versions v, json_each(v.content, '$.answers') a WHERE v.content IS NOT NULL
    UNION ALL
    SELECT v.id, v.round, v.unit, 'text', json_extract(a.value, '$[0]'), json_extract(a.value, '$[2]'), NULL,
           json_extract(a.value, '$[10]'), json_extract(a.value, '$[4]'), json_extract(a.value, '$[3]'),
           json_extract(a.value, '$[5]') || '!' || json_extract(a.value, '$[6]')
    FROM versions v, json_each(v.content, '$.texts') a WHERE v.content IS NOT NULL;
"""

# Version 2 (issue 16). A picture an earlier version carried and the newest no longer does is kept as evidence
# (R307) unless the office withdraws it at the unit's request (zonekit evidence withdraw): by content hash, per unit.
SCHEMA_2 = """
CREATE TABLE withdrawn (         -- pictures taken off the record on purpose; their bytes stay in .zonekit/images
    round TEXT NOT NULL,
    unit TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,            -- ISO 8601, when the office recorded it
    PRIMARY KEY (round, unit, sha256)
);
"""

# Version 3: look-ups that grow with a province's ledger — a version's places (assembling a round) and an image by
# its hash (the same picture in another version or another unit's return, for the evidence).
SCHEMA_3 = """
CREATE INDEX locations_version ON locations (version);
CREATE INDEX pictures_image ON pictures (sha256);
"""

# Version 4. Evidence is cumulative across rounds: a picture a unit sent in an earlier round stays in 佐证材料 (named
# with that round) unless withdrawn; a picture withdrawal holds in every round. A return the office withdraws (a
# stray draft, a file sent with wrong figures) stops counting: by content, in its round, even while the file is
# still in 2-回收.
SCHEMA_4 = """
ALTER TABLE evidence ADD COLUMN round TEXT NOT NULL DEFAULT '';  -- the round whose return carried the picture
CREATE TABLE withdrawn_returns ( -- returns taken off the record on purpose (zonekit withdraw); kept, never merged
    round TEXT NOT NULL,
    sha256 TEXT NOT NULL,        -- of the file's content: the same bytes anywhere in the round are withdrawn too
    unit TEXT NOT NULL,
    file TEXT NOT NULL,          -- as 回收登记 showed it when it was withdrawn
    reason TEXT NOT NULL,
    at TEXT NOT NULL,            -- ISO 8601, when the office recorded it
    PRIMARY KEY (round, sha256)
);
"""

# released steps never change: a new step is appended
MIGRATIONS = {1: SCHEMA_1, 2: SCHEMA_2, 3: SCHEMA_3, 4: SCHEMA_4}
VERSION = max(MIGRATIONS)
BUSY_SECONDS = 20  # another collect of the same project holds the ledger: wait this long, then say so
ROUND_SNAPSHOT = "round:"  # snapshots named round:<name> hold the result a round was closed with (zonekit round)


def ledger_path(root: Path | str) -> Path:
    return Path(root) / layout.LEDGER_DIR / layout.LEDGER_FILE


@dataclass(slots=True)
class Source:
    size: int
    mtime_ns: int
    context: str
    round: str


class Ledger:
    """One project's ledger. Reads run outside transactions; a collect wraps its writes in ``begin``/``commit``."""

    def __init__(self, path: Path | str | None, *, readonly: bool = False):
        """``path`` None: a ledger in memory (a collect that must leave the project folder untouched).
        ``readonly``: opened with SQLite's ``mode=ro`` (another office's project under review): nothing is created,
        migrated or written, and the file's bytes and times stay as they are."""
        self.path = Path(path) if path is not None else None
        self.readonly = readonly and self.path is not None
        try:
            if self.readonly:
                self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS,
                                          isolation_level=None)
                self._check_version()
                return
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path) if self.path else ":memory:", timeout=BUSY_SECONDS,
                                      isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before collect says it is done
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(_message(exc, self.path)) from None

    @classmethod
    def open(cls, root: Path | str, *, create: bool = True, readonly: bool = False) -> "Ledger | None":
        """The ledger of the project in ``root``; None when it has none and ``create`` is false (or ``readonly``)."""
        path = ledger_path(root)
        if (readonly or not create) and not path.is_file():
            return None
        return cls(path, readonly=readonly)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if self.db.in_transaction:
            self.db.rollback()
        self.close()

    # ------------------------------------------------------------ schema
    def _check_version(self) -> int:
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > VERSION:
            raise LedgerError(f"回收台账 {self.path} 由较新版本的 zonekit 写入（台账版本 {found}，本程序只认识到 "
                              f"{VERSION}）。请升级 zonekit 后重试。")
        if found < 1:
            raise LedgerError(f"回收台账 {self.path} 是空的或不是 zonekit 的回收台账。")
        return found

    def _migrate(self) -> None:
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found:
            self._check_version()
        for version in range(found + 1, VERSION + 1):
            # one transaction per step: a failed migration leaves the ledger at the previous version
            self.db.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[version]}\nPRAGMA user_version = {version};\n"
                                  "COMMIT;")

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # ------------------------------------------------------------ one collect
    def begin(self, round_name: str, context: str, now: str, zonekit_version: str) -> int:
        """Start a run's transaction (waiting for another collect to finish); returns the run id."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(_message(exc, self.path)) from None
        closed = self.db.execute("SELECT closed FROM rounds WHERE name = ?", (round_name,)).fetchone()
        if closed and closed[0]:  # a closed round's record never changes (工作台 edited back by hand?)
            self.db.rollback()
            raise LedgerError(_closed_message(round_name, closed[0], self.open_round()))
        self.db.execute("INSERT OR IGNORE INTO rounds (name, started) VALUES (?, ?)", (round_name, now))
        cur = self.db.execute("INSERT INTO runs (round, started, context, zonekit) VALUES (?, ?, ?, ?)",
                              (round_name, now, context, zonekit_version))
        return cur.lastrowid

    def commit(self) -> None:
        try:
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(_message(exc, self.path)) from None

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.rollback()

    def finish(self, run: int, now: str, files: int, opened: int) -> None:
        """Close a run: what it did not find is no longer present; files it did not see leave the cache."""
        self.db.execute("UPDATE locations SET present = 0 WHERE last_run < ? AND present = 1", (run,))
        self.db.execute("DELETE FROM sources WHERE run < ?", (run,))
        self.db.execute("UPDATE runs SET finished = ?, files = ?, opened = ? WHERE id = ?", (now, files, opened, run))

    # ------------------------------------------------------------ files on disk
    def sources(self) -> dict[str, Source]:
        return {row[0]: Source(*row[1:]) for row in
                self.db.execute("SELECT path, size, mtime_ns, context, round FROM sources")}

    def set_sources(self, rows: list[tuple]) -> None:
        """Files on disk as this run saw them: (path, size, mtime_ns, context, round, run) each."""
        self.db.executemany("INSERT INTO sources (path, size, mtime_ns, context, round, run) VALUES (?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
                            "context = excluded.context, round = excluded.round, run = excluded.run", rows)

    def leaves(self, round_name: str) -> dict[str, list[sqlite3.Row]]:
        """source → the locations the last collect found in it (workbooks inside a zip, a mail …), in order."""
        out: dict[str, list] = {}
        for row in self.db.execute(
                "SELECT l.source, l.version, l.path, l.origin, l.file_time, l.mailed_at, l.sender FROM locations l "
                "JOIN versions v ON v.id = l.version WHERE l.present = 1 AND v.round = ? ORDER BY l.id",
                (round_name,)):
            out.setdefault(row[0], []).append(row[1:])
        return out

    # ------------------------------------------------------------ versions and where they were found
    def find(self, sha256: str, context: str, round_name: str) -> list[tuple[int, str]]:
        """(id, variant) of the versions with this content read in this context and round."""
        return self.db.execute("SELECT id, variant FROM versions WHERE sha256 = ? AND context = ? AND round = ?",
                               (sha256, context, round_name)).fetchall()

    def add_version(self, row: dict, pictures: list[tuple]) -> int:
        columns = ", ".join(row)
        cur = self.db.execute(f"INSERT INTO versions ({columns}) VALUES ({', '.join('?' * len(row))})",
                              tuple(row.values()))
        version = cur.lastrowid
        if pictures:
            self.db.executemany("INSERT INTO pictures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [(version, n, *p) for n, p in enumerate(pictures)])
        return version

    def found_many(self, rows: list[tuple]) -> None:
        """Record where versions were found in this run: (version, path, source, origin as JSON, file_time,
        mailed_at, sender, first_seen, last_seen, first_run, last_run) each; a place seen before is refreshed."""
        self.db.executemany(
            "INSERT INTO locations (version, path, source, origin, file_time, mailed_at, sender, first_seen, "
            "last_seen, first_run, last_run, present) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (path, version) DO UPDATE SET source = excluded.source, origin = excluded.origin, "
            "file_time = excluded.file_time, mailed_at = excluded.mailed_at, sender = excluded.sender, "
            "last_seen = excluded.last_seen, last_run = excluded.last_run, present = 1", rows)

    def versions(self, round_name: str) -> list[sqlite3.Row]:
        """Every version of the round without its content, oldest receipt first."""
        return self._rows("SELECT id, sha256, variant, context, size, format, name, sender, unit, identified_by, "
                          "identity, saved_at, saved_from, ordered_at, state, issues, missing, seen_at, run "
                          "FROM versions "
                          "WHERE round = ? ORDER BY id", (round_name,))

    def content(self, version: int) -> str | None:
        row = self.db.execute("SELECT content FROM versions WHERE id = ?", (version,)).fetchone()
        return row[0] if row else None

    def locations(self, round_name: str) -> list[sqlite3.Row]:
        """Every place a version of the round was found, by path."""
        return self._rows("SELECT l.id, l.version, l.path, l.source, l.origin, l.file_time, l.mailed_at, l.sender, "
                          "l.first_seen, l.last_seen, l.present FROM locations l JOIN versions v ON v.id = l.version "
                          "WHERE v.round = ? ORDER BY l.path, l.id", (round_name,))

    def places(self, version: int) -> list[sqlite3.Row]:
        """Every place one version was found (as ``locations`` gives them)."""
        return self._rows("SELECT id, version, path, source, origin, file_time, mailed_at, sender, first_seen, "
                          "last_seen, present FROM locations WHERE version = ? ORDER BY path, id", (version,))

    def versions_with_pictures(self, round_name: str) -> list[sqlite3.Row]:
        """The readable versions of a round that carried pictures (as ``versions`` gives them)."""
        return self._rows("SELECT id, sha256, variant, context, size, format, name, sender, unit, identified_by, "
                          "identity, saved_at, saved_from, ordered_at, state, issues, missing, seen_at, run "
                          "FROM versions v WHERE round = ? AND state = 'read' AND unit != '' "
                          "AND EXISTS (SELECT 1 FROM pictures p WHERE p.version = v.id) ORDER BY id", (round_name,))

    def pictures(self, version: int) -> list[tuple]:
        """(sheet, cell, row, col, member, kind, indicator, key, sha256, size, name, numbers as JSON)."""
        return self.db.execute("SELECT sheet, cell, row, col, member, kind, indicator, key, sha256, size, name, "
                               "numbers FROM pictures WHERE version = ? ORDER BY seq", (version,)).fetchall()

    # ------------------------------------------------------------ evidence and snapshots
    def evidence(self) -> list[sqlite3.Row]:
        return self._rows("SELECT path, version, unit, indicator, source, sheet, cell, kind, size, sha256, "
                          "received_at, numbers, kept, round FROM evidence ORDER BY path")

    def set_evidence(self, rows: list[tuple]) -> None:
        """(path, version, unit, indicator, source, sheet, cell, kind, size, sha256, received_at, numbers, kept,
        round) each."""
        self.db.execute("DELETE FROM evidence")
        self.db.executemany("INSERT INTO evidence (path, version, unit, indicator, source, sheet, cell, kind, size, "
                            "sha256, received_at, numbers, kept, round) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def snapshot(self, name: str) -> dict | None:
        row = self.db.execute("SELECT data FROM snapshots WHERE name = ?", (name,)).fetchone()
        try:
            return json.loads(row[0]) if row else None
        except ValueError:
            return None

    def set_snapshot(self, name: str, data: dict, now: str) -> None:
        self.db.execute("INSERT INTO snapshots (name, written, data) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                        "SET written = excluded.written, data = excluded.data",
                        (name, now, json.dumps(data, ensure_ascii=False, separators=(",", ":"))))

    # ------------------------------------------------------------ withdrawn pictures (issue 16)
    def withdrawn(self) -> dict[tuple[str, str], str]:
        """(unit, sha256) → reason, for the pictures withdrawn: a withdrawal holds in every round (evidence is
        cumulative across rounds, so a picture taken off the record stays off it)."""
        return {(r[0], r[1]): r[2] for r in self.db.execute(
            "SELECT unit, sha256, reason FROM withdrawn ORDER BY at")}

    def withdraw(self, round_name: str, unit: str, sha256: str, reason: str, now: str) -> None:
        self.db.execute("INSERT INTO withdrawn (round, unit, sha256, reason, at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (round, unit, sha256) DO UPDATE SET reason = excluded.reason, at = excluded.at",
                        (round_name, unit, sha256, reason, now))

    def restore(self, unit: str, sha256: str) -> bool:
        """Undo a picture's withdrawal, in whichever round it was recorded."""
        return self.db.execute("DELETE FROM withdrawn WHERE unit = ? AND sha256 = ?", (unit, sha256)).rowcount > 0

    def pictures_like(self, prefix: str) -> list[sqlite3.Row]:
        """Every picture of every round whose content hash starts with ``prefix``: unit, sha256, where and in which
        file it was received (the first place each version was found) and its round, oldest first."""
        return self._rows(
            "SELECT v.unit, p.sha256, p.sheet, p.cell, p.indicator, v.id AS version, v.round, "
            "(SELECT l.path FROM locations l WHERE l.version = v.id ORDER BY l.id LIMIT 1) AS file "
            "FROM pictures p JOIN versions v ON v.id = p.version "
            "WHERE p.sha256 LIKE ? ORDER BY v.id, p.seq", (prefix.lower() + "%",))

    # ------------------------------------------------------------ withdrawn returns
    def withdrawn_returns(self, round_name: str) -> dict[str, sqlite3.Row]:
        """sha256 → (unit, file, reason, at) of the returns withdrawn in the round."""
        return {r["sha256"]: r for r in self._rows(
            "SELECT sha256, unit, file, reason, at FROM withdrawn_returns WHERE round = ?", (round_name,))}

    def withdraw_return(self, round_name: str, sha256: str, unit: str, file: str, reason: str, now: str) -> None:
        self.db.execute("INSERT INTO withdrawn_returns (round, sha256, unit, file, reason, at) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (round, sha256) DO UPDATE SET unit = excluded.unit, "
                        "file = excluded.file, reason = excluded.reason, at = excluded.at",
                        (round_name, sha256, unit, file, reason, now))

    def restore_return(self, round_name: str, sha256: str) -> bool:
        return self.db.execute("DELETE FROM withdrawn_returns WHERE round = ? AND sha256 = ?",
                               (round_name, sha256)).rowcount > 0

    def versions_at(self, round_name: str | None = None) -> list[sqlite3.Row]:
        """Every place a file was found, with its version's round, unit, state and hash (of one round, or of
        all when ``round_name`` is None): what `zonekit withdraw` looks a file up in."""
        where, params = ("WHERE v.round = ? ", (round_name,)) if round_name is not None else ("", ())
        return self._rows("SELECT l.path, l.present, l.last_seen, v.id AS version, v.round, v.unit, v.state, "
                          f"v.sha256 FROM locations l JOIN versions v ON v.id = l.version {where}"
                          "ORDER BY l.path, l.id", params)

    def runs(self) -> int:
        """How many collects have committed."""
        return self.db.execute("SELECT count(*) FROM runs WHERE finished IS NOT NULL").fetchone()[0]

    # ------------------------------------------------------------ rounds (issue 14)
    def rounds(self) -> list[sqlite3.Row]:
        """Every round in the order they started: name, started, closed ('' while open), collects (committed runs),
        last_collect (when the last one finished, '' before any). The order is the order of recording (a round is
        recorded when it starts; the ledger is never vacuumed, so rowids keep it): ``started`` is UTC with
        microseconds from a collect and local time to the second from round start, so a round started in the same
        second as the last collect sorted before the round it followed, and an offset west of UTC misorders them."""
        return self._rows("SELECT r.name, r.started, coalesce(r.closed, '') AS closed, "
                          "(SELECT count(*) FROM runs u WHERE u.round = r.name AND u.finished IS NOT NULL) AS collects, "
                          "coalesce((SELECT max(u.finished) FROM runs u WHERE u.round = r.name), '') AS last_collect "
                          "FROM rounds r ORDER BY r.rowid")  # as recorded: the times are not comparable as text

    def open_round(self) -> str:
        """The round zonekit round start opened last and that is still open ('' when none is recorded)."""
        row = self.db.execute("SELECT name FROM rounds WHERE closed IS NULL ORDER BY rowid DESC LIMIT 1").fetchone()
        return row[0] if row else ""

    def round_received(self, round_name: str) -> int:
        """How many readable returns the round has received (versions a unit's answers came in)."""
        return self.db.execute("SELECT count(*) FROM versions WHERE round = ? AND state = 'read'",
                               (round_name,)).fetchone()[0]

    def close_round(self, round_name: str, result: dict, next_round: str, now: str) -> None:
        """Close ``round_name`` with its result on record (a snapshot named ``round:<name>``) and open
        ``next_round``; inside the caller's transaction (``begin_change``)."""
        self.db.execute("INSERT OR IGNORE INTO rounds (name, started) VALUES (?, ?)", (round_name, now))
        self.db.execute("UPDATE rounds SET closed = ? WHERE name = ?", (now, round_name))
        self.set_snapshot(ROUND_SNAPSHOT + round_name, result, now)
        self.db.execute("INSERT INTO rounds (name, started) VALUES (?, ?)", (next_round, now))

    def reopen_round(self, round_name: str, undone: str) -> None:
        """Undo ``close_round``: ``round_name`` open again (its result is computed live again), ``undone`` gone
        from the rounds (what a collect recorded under it stays, unused)."""
        self.db.execute("UPDATE rounds SET closed = NULL WHERE name = ?", (round_name,))
        self.db.execute("DELETE FROM snapshots WHERE name = ?", (ROUND_SNAPSHOT + round_name,))
        self.db.execute("DELETE FROM rounds WHERE name = ?", (undone,))

    def round_results(self) -> dict[str, dict]:
        """round → the result it was closed with."""
        out = {}
        for name, data in self.db.execute("SELECT name, data FROM snapshots WHERE name LIKE ?",
                                          (ROUND_SNAPSHOT + "%",)):
            try:
                out[name[len(ROUND_SNAPSHOT):]] = json.loads(data)
            except ValueError:
                continue
        return out

    def begin_change(self) -> None:
        """A transaction for a change that is not a collect (zonekit round start/undo), waiting for a collect."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(_message(exc, self.path)) from None

    def _rows(self, sql: str, params=()) -> list[sqlite3.Row]:
        with closing(self.db.cursor()) as cur:
            cur.row_factory = sqlite3.Row
            return cur.execute(sql, params).fetchall()


def _message(exc: Exception, path: Path | None) -> str:
    text = str(exc)
    where = path or "（内存）"
    if "locked" in text or "busy" in text:
        return (f"回收台账 {where} 正被另一个 zonekit 命令使用（可能另一个 collect 仍在运行）。请等它结束后重试。")
    if "not a database" in text or "malformed" in text:
        return (f"回收台账 {where} 已损坏，无法读取（{text}）。请把它改名保存（以便排查），再运行 zonekit collect "
                f"重新回收；已移走或删除的回收文件将无法恢复记录。")
    return f"无法使用回收台账 {where}（{text}）。请确认项目文件夹可写后重试。"


def _closed_message(round_name: str, closed: str, open_round: str) -> str:
    now = f"当前应为「{open_round}」，" if open_round else ""
    return (f"工作台 基本信息 中的填报轮次是「{round_name}」，但这一轮已于 {closed[:10]} 由 zonekit round start 结束，"
            f"结果已存档，不能再回收进这一轮。{now}请把 填报轮次 改回「{open_round or '新一轮的名称'}」；"
            f"如确是误开了新一轮，请运行 zonekit round undo 撤销。")


def exists(root: Path | str) -> bool:
    return os.path.isfile(ledger_path(root))
