"""`python -m runner serve`: bind to loopback, write the state file, serve the API, run the worker.

The port may be 0 (the OS picks a free one); the real port and a fresh random token go into `<home>/runner.json`
(0600), which is how the plugin finds and authenticates to the runner. Binding anywhere but loopback needs an
explicit option and is warned about loudly: the token is then the only lock on the door.
"""

from __future__ import annotations

import ipaddress
import logging
import logging.handlers
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runner import PROTOCOL_VERSION, __version__
from runner.api.access import AccessPolicy
from runner.config import Limits, RunnerPaths, read_state, write_private_json

log = logging.getLogger("runner.server")
MAX_CONNECTIONS = 500


def describe_device() -> dict[str, Any]:
    """What the health endpoint reports: torch version and the device jobs will run on."""
    import torch

    from runner.allocator import current_allocator

    info: dict[str, Any] = {"torch_version": torch.__version__, "cuda": torch.cuda.is_available(),
                            "cpu_threads": torch.get_num_threads(), "allocator": current_allocator()}
    if info["cuda"]:
        info["device"] = "cuda"
        info["device_name"] = torch.cuda.get_device_name(0)
    else:
        info["device"] = "cpu"
        info["device_name"] = f"CPU ({os.cpu_count()} cores)"
    return info


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def setup_logging(paths: RunnerPaths, verbose: bool = False) -> None:
    """Log to stderr and to a rotating file under the home (a service must not fill the disk with logs)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    fh = logging.handlers.RotatingFileHandler(paths.logs / "runner.log", maxBytes=5_000_000, backupCount=5)
    fh.setFormatter(fmt)
    sh = logging.StreamHandler(sys.stderr)
    sh.setFormatter(fmt)
    root.handlers[:] = [fh, sh]


def watch_parent(pid: int, on_gone: Callable[[], None], interval_s: float = 2.0) -> threading.Thread | None:
    """Call `on_gone` once the process `pid` has ended (a daemon thread polling every `interval_s`).

    Why: the plugin starts the runner for its QGIS; if QGIS crashes, or `qgis_process` exits without unloading
    plugins, nothing else would stop it and a 600 MB process would serve on a port for ever. `is_running` compares
    the start time as well, so a recycled pid does not keep the runner alive. None (and no thread) if `pid` is
    gone already."""
    import psutil

    try:
        owner = psutil.Process(pid)
    except psutil.Error:
        on_gone()
        return None

    def loop() -> None:
        while owner.is_running():  # psutil compares the start time too: a recycled pid is not "running"
            time.sleep(interval_s)
        log.info("the process that started this runner (pid %d) has ended: stopping", pid)
        on_gone()

    thread = threading.Thread(target=loop, name="watch-parent", daemon=True)
    thread.start()
    return thread


def state_owner(paths: RunnerPaths) -> int | None:
    """The pid of a live runner that the state file names, or None when there is none or it is stale.

    Stale: the file is unreadable, names a process that is gone (kill -9, power cut) or a zombie, or a pid that
    was recycled by a process started after the file was written, or one that is not a runner."""
    import psutil

    state = read_state(paths.home)
    if not state or not isinstance(state.get("pid"), int) or state["pid"] == os.getpid():
        return None
    try:
        proc = psutil.Process(state["pid"])
        written = paths.state.stat().st_mtime
        if proc.status() == psutil.STATUS_ZOMBIE or proc.create_time() > written + 1:
            return None
        cmdline = " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return None
    return state["pid"] if "runner" in cmdline and "serve" in cmdline else None


def remove_state(paths: RunnerPaths) -> None:
    """Remove the state file if it is ours: a clean stop leaves nothing that names a dead process."""
    state = read_state(paths.home)
    if state is not None and state.get("pid") == os.getpid():
        try:
            paths.state.unlink()
        except OSError:
            pass


def access_policy(home: Path, allow_remote: bool, path_access: bool, read_roots: Sequence[Path] = (),
                  write_roots: Sequence[Path] = ()) -> AccessPolicy:
    """The operator's roots: local (the plugin's runner) unless the runner serves others (`--allow-remote`) or
    reads only uploads (`--no-path-access`)."""
    if not path_access:
        return AccessPolicy.remote(home, (), write_roots, uploads_only=True)
    if allow_remote:
        return AccessPolicy.remote(home, read_roots, write_roots)
    return AccessPolicy.local(home, write_roots)


def serve(home: Path, host: str = "127.0.0.1", port: int = 0, allow_remote: bool = False,
          path_access: bool = True, token: str | None = None, exit_with_pid: int | None = None,
          read_roots: Sequence[Path] = (), write_roots: Sequence[Path] = (), limits: Limits | None = None) -> int:
    import uvicorn

    from runner.api.app import create_app
    from runner.jobs.store import JobStore
    from runner.jobs.worker import Worker
    from runner.ops import run_operation

    paths = RunnerPaths(Path(home)).ensure()
    setup_logging(paths)
    if not is_loopback(host):
        if not allow_remote:
            print(f"refusing to listen on {host}: the runner binds to loopback only; "
                  "pass --allow-remote to listen on other interfaces (then put TLS in front)", file=sys.stderr)
            return 2
        log.warning("!!! listening on %s, reachable from other machines: the token is the only protection; "
                    "use TLS through a reverse proxy !!!", host)
    if read_roots and not allow_remote:
        print("--read-root needs --allow-remote: a local runner reads what its user can; "
              "use --write-root for output folders", file=sys.stderr)
        return 2
    missing = [str(r) for r in (*read_roots, *write_roots) if not Path(r).expanduser().is_dir()]
    if missing:
        print(f"root folder {missing[0]} does not exist: create it or fix --read-root/--write-root", file=sys.stderr)
        return 2
    owner = state_owner(paths)
    if owner is not None:
        print(f"a runner (pid {owner}) already serves {paths.home}: stop it first or choose another --home",
              file=sys.stderr)
        return 2
    if paths.state.exists():
        log.warning("replacing a stale %s left by a runner that is no longer running", paths.state)
        paths.state.unlink(missing_ok=True)
    access = access_policy(paths.home, allow_remote, path_access, read_roots, write_roots)
    if access.mode == "remote":  # a VRT may only wrap files by their path, never read raw bytes of any file
        os.environ.setdefault("GDAL_VRT_ENABLE_RAWRASTERBAND", "NO")
    log.info("access: %s", access.describe())

    store = JobStore(paths.db)
    interrupted = store.mark_interrupted()
    if interrupted:
        log.warning("jobs interrupted by the previous runner's end: %s", ", ".join(interrupted))
    worker = Worker(store, paths.home, run_operation, admit=access.admit)
    token = token or secrets.token_urlsafe(32)
    device_info = describe_device()
    app = create_app(paths, token, store, worker, device_info, limits or Limits(), access=access)

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    real_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    state = {"url": f"http://{url_host}:{real_port}", "host": host, "port": real_port, "token": token,
             "pid": os.getpid(), "protocol": PROTOCOL_VERSION, "version": __version__}
    write_private_json(paths.state, state)
    log.info("OmniSat runner %s listening on %s (device: %s), home %s", __version__, state["url"],
             device_info["device_name"], paths.home)

    worker.start()
    # beyond `limit_concurrency` connections uvicorn answers 503: each request may hold up to the body limit
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                            limit_concurrency=MAX_CONNECTIONS)
    server = uvicorn.Server(config)
    # a closed terminal (SIGHUP, not on Windows) too: stop cleanly, remove the state file
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    if exit_with_pid is not None:
        watch_parent(exit_with_pid, lambda: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        worker.stop()
        store.close()
        remove_state(paths)
    return 0
