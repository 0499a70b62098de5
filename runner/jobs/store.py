"""Jobs on disk: one SQLite database under the runner home.

Why SQLite: a job that was running when the runner died must show as `interrupted` after a restart, never
silently vanish; queued jobs must keep their order; events must survive for the user to read. WAL mode and one
lock keep the API threads and the worker thread from stepping on each other.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_JOB_ID = re.compile(r"[0-9a-f]{32}")
STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
FINAL__JOB_ID = re.compile(r"[0-9a-f]{32}")
STATES = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    progress TEXT,
    message TEXT,
    result TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    job_id TEXT NOT NULL
);
"""


def new_job_id() -> str:
    """128 random bits: job ids are unguessable, so one user cannot poke at another's jobs by counting."""
    return secrets.token_hex(16)


def folder_bytes(folder: Path) -> int:
    """Bytes under `folder` (0 if it is gone): the checkpoints and caches a job keeps on disk."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class JobStore:
    def __init__(self, db_path: Path, jobs_dir: Path | None = None) -> None:
        self.jobs_dir = Path(jobs_dir) if jobs_dir is not None else Path(db_path).parent / "jobs"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = {r["name"] for r in self._db.execute("PRAGMA table_info(jobs)")}
            if "work_bytes" not in columns:  # databases from before checkpoint sizes were kept
                self._db.execute("ALTER TABLE jobs ADD COLUMN work_bytes INTEGER")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- lifecycle ----------------------------------------------------------------------------------
    def mark_interrupted(self) -> list[str]:
        """At start-up: jobs left `running` by a runner that died are `interrupted` (resumable), not lost."""
        with self._lock:
            ids = [r["id"] for r in self._db.execute("SELECT id FROM jobs WHERE state='running'")]
            now = time.time()
            for job_id in ids:
                self._db.execute(
                    "UPDATE jobs SET state='interrupted', finished=?, message=?, work_bytes=? WHERE id=?",
                    (now, "the runner stopped while this job was running; resume it to continue",
                     folder_bytes(self.jobs_dir / job_id), job_id),
                )
                self._add_event(job_id, "state", "interrupted: the runner stopped while this job was running")
            return ids

    def create(self, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        job_id = new_job_id()
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, kind, state, spec, created) VALUES (?, ?, 'queued', ?, ?)",
                (job_id, kind, json.dumps(spec), time.time()),
            )
            self._add_event(job_id, "state", "queued")
        return self.get(job_id)  # type: ignore[return-value]

    def requeue(self, job_id: str) -> dict[str, Any] | None:
        """Put an interrupted or failed job back in the queue; its work folder keeps the checkpoints."""
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state='queued', message=NULL, finished=NULL, cancel_requested=0 WHERE id=?",
                (job_id,),
            )
            self._add_event(job_id, "state", "queued again (resume)")
        return self.get(job_id)

    def next_queued(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE state='queued' ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE jobs SET state='running', started=? WHERE id=?", (time.time(), row["id"]))
            self._add_event(row["id"], "state", "running")
        return self.get(row["id"])

    def finish(self, job_id: str, state: str, message: str | None = None,
               result: dict[str, Any] | None = None, outputs: list[str] | None = None) -> None:
        """Record the end of a job, the files it wrote (`outputs`, resolved paths: the only files GET /v1/files
        serves) and what its folder keeps: nothing once `done` or `cancelled` (neither resumes, so checkpoints and
        caches would only fill the disk), the checkpoints for a `failed` job, which may be resumed."""
        if state not in STATES:
            raise ValueError(f"unknown job state {state!r}")
        if state in ("done", "cancelled"):
            self.remove_work(job_id)
        kept = folder_bytes(self.jobs_dir / job_id)
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state=?, message=?, result=?, finished=?, work_bytes=? WHERE id=?",
                (state, message, json.dumps(result) if result is not None else None, time.time(), kept, job_id),
            )
            for path in outputs or ():
                self._db.execute("INSERT OR REPLACE INTO outputs (path, job_id) VALUES (?, ?)", (path, job_id))
            self._add_event(job_id, "state", state + (f": {message}" if message else ""))

    def remove_work(self, job_id: str) -> None:
        """Delete a job's folder (checkpoints, tile cache); a resumed job then starts from its first epoch."""
        folder = self.jobs_dir / job_id
        if _JOB_ID.fullmatch(job_id) and folder.parent == self.jobs_dir:  # ids are 32 hex: never a path of our choosing
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._db.execute("UPDATE jobs SET work_bytes=0 WHERE id=?", (job_id,))

    def wrote(self, path: str) -> bool:
        """Whether a finished job recorded `path` (resolved) among the files it wrote."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM outputs o JOIN jobs j ON j.id = o.job_id WHERE o.path=? AND j.state='done'",
                (path,)).fetchone()
        return row is not None

    def request_cancel(self, job_id: str) -> str | None:
        """Queued jobs are cancelled at once; running ones are flagged for the worker. Returns the new state."""
        with self._lock:
            job = self.get(job_id)
            if job is None:
                return None
            if job["state"] in ("queued", "interrupted"):
                self.finish(job_id, "cancelled", "cancelled by the user")
                return "cancelled"
            if job["state"] == "running":
                self._db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=?", (job_id,))
                self._add_event(job_id, "state", "cancel requested")
            return job["state"]

    def cancel_requested(self, job_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,)).fetchone()
        return bool(row and row[0])

    # -- progress and events ------------------------------------------------------------------------
    def set_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET progress=? WHERE id=?", (json.dumps(progress), job_id))

    def add_event(self, job_id: str, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._add_event(job_id, kind, message, data)

    def _add_event(self, job_id: str, kind: str, message: str, data: dict[str, Any] | None = None) -> None:
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE job_id=?", (job_id,)).fetchone()
        self._db.execute(
            "INSERT INTO events (job_id, seq, time, kind, message, data) VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, row[0] + 1, time.time(), kind, message, json.dumps(data) if data else None),
        )

    def events(self, job_id: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, time, kind, message, data FROM events WHERE job_id=? AND seq>? ORDER BY seq LIMIT ?",
                (job_id, after, limit),
            ).fetchall()
        return [{"seq": r["seq"], "time": r["time"], "kind": r["kind"], "message": r["message"],
                 "data": json.loads(r["data"]) if r["data"] else {}} for r in rows]

    # -- queries ------------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return _row_to_job(row) if row else None

    def list(self, limit: int = 500) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [_row_to_job(r) for r in rows]


def _row_to_job(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "state": row["state"],
        "spec": json.loads(row["spec"]),
        "progress": json.loads(row["progress"]) if row["progress"] else None,
        "message": row["message"],
        "result": json.loads(row["result"]) if row["result"] else None,
        "created": row["created"],
        "started": row["started"],
        "finished": row["finished"],
        "queue_position": row["seq"],
        "checkpoint_bytes": row["work_bytes"] or 0,  # kept for interrupted/failed jobs until resumed or deleted
    }
