"""QgsTask subclasses that run runner jobs: submit, follow progress, cancel; GUI work only in finished().

The task's run() (a worker thread) only talks HTTP to the runner; loading and styling layers happens in finished()
on the main thread through the `on_done` callback, as QGIS requires.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qgis.core import Qgis, QgsMessageLog, QgsTask

from omnisat_qgis.client import RunnerClient, RunnerError

LOG_TAG = "OmniSat"


def log(message: str, level=Qgis.MessageLevel.Info) -> None:
    QgsMessageLog.logMessage(message, LOG_TAG, level)


def qgis_proxy(url: str) -> str | None:
    """The HTTP(S) proxy QGIS is set to use for `url` (Options ▸ Network), None when off, excluded or SOCKS (the
    file transfers stream with urllib, which speaks HTTP proxies only; requests go through QGIS's own stack)."""
    from qgis.core import QgsSettings

    from omnisat_qgis.installer.environment import proxy_from_qgis_settings

    s = QgsSettings()
    keys = ("proxy/proxyEnabled", "proxy/proxyHost", "proxy/proxyType", "proxy/proxyPort", "proxy/proxyUser",
            "proxy/proxyPassword")
    proxy = proxy_from_qgis_settings({k: s.value(k, "") for k in keys})
    excluded = s.value("proxy/proxyExcludedUrls", "") or ""
    excluded = excluded if isinstance(excluded, list) else [e for e in str(excluded).split("|") if e]
    if proxy is None or proxy.startswith("socks") or any(url.startswith(e.strip()) for e in excluded if e.strip()):
        return None
    return proxy


def follow_job(client: RunnerClient, job_id: str, is_cancelled: Callable[[], bool],
               on_progress: Callable[[float, dict], None], poll: float = 0.5) -> dict[str, Any]:
    """Poll a job until it ends; cancel it on the runner when asked. Returns the final job."""
    cancel_sent = False
    seen = 0
    while True:
        if is_cancelled() and not cancel_sent:
            client.cancel(job_id)
            cancel_sent = True
        job = client.job(job_id)
        for e in client.events(job_id, after=seen):
            seen = e["seq"]
            log(f"[{job['kind']} {job_id[:8]}] {e['message']}")
        p = job.get("progress") or {}
        if p:
            on_progress(100.0 * float(p.get("fraction") or 0.0), p)
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(poll)


class RunnerJobTask(QgsTask):
    """One runner job as a cancellable QGIS task."""

    def __init__(self, description: str, client_factory: Callable[[], RunnerClient], kind: str,
                 spec: dict[str, Any], on_done: Callable[[dict[str, Any] | None, str | None], None],
                 on_progress: Callable[[float, dict], None] | None = None) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.client_factory, self.kind, self.spec = client_factory, kind, spec
        self.on_done, self.on_progress_cb = on_done, on_progress
        self.job: dict[str, Any] | None = None
        self.error: str | None = None
        self.last_progress: dict = {}

    def run(self) -> bool:
        try:
            client = self.client_factory()
            remote = None
            spec = self.spec
            from omnisat_qgis.remote import RemoteError, RemoteFiles, RemoteJob, needs_upload

            if needs_upload(client.health()):  # a runner on another machine: send the files, fetch results
                remote = RemoteJob(RemoteFiles(client.url, client.token, proxy=qgis_proxy(client.url)),
                                   cancelled=self.isCanceled)
                spec = remote.prepare(spec)
            try:
                job = client.submit(self.kind, spec)
            except RunnerError as err:  # an output folder outside the local runner's roots: add it, once
                if remote is not None or err.status != 403 or "spec.out:" not in err.message:
                    raise
                from pathlib import Path

                from omnisat_qgis.runner_manager import manager

                client = manager().allow_writes_to(Path(spec["out"]).parent)
                job = client.submit(self.kind, spec)
            log(f"{self.kind} job {job['id']} submitted")

            def progress(pct: float, p: dict) -> None:
                self.last_progress = p
                self.setProgress(pct)

            self.job = follow_job(client, job["id"], self.isCanceled, progress)
            if remote is not None and self.job["state"] == "done" and self.kind == "classify":
                self.job["result"] = remote.fetch(self.job["result"])
        except RunnerError as err:
            self.error = err.message
            return False
        except RemoteError as err:
            self.error = str(err)
            return False
        if self.job["state"] == "done":
            return True
        self.error = self.job.get("message") or self.job["state"]
        return False

    def finished(self, result: bool) -> None:  # main thread
        if result:
            self.on_done(self.job, None)
        else:
            state = (self.job or {}).get("state")
            cancelled = state == "cancelled" or (self.isCanceled() and state in (None, "queued", "running"))
            self.on_done(self.job, "cancelled" if cancelled else (self.error or "failed"))
