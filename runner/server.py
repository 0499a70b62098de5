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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner import PROTOCOL_VERSION, __version__
from runner.config import Limits, RunnerPaths, write_private_json

log = logging.getLogger("runner.server")


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


def serve(home: Path, host: str = "127.0.0.1", port: int = 0, allow_remote: bool = False,
          path_access: bool = True, token: str | None = None, exit_with_pid: int | None = None) -> int:
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

    store = JobStore(paths.db)
    interrupted = store.mark_interrupted()
    if interrupted:
        log.warning("jobs interrupted by the previous runner's end: %s", ", ".join(interrupted))
    worker = Worker(store, paths.home, run_operation)
    token = token or secrets.token_urlsafe(32)
    device_info = describe_device()
    app = create_app(paths, token, store, worker, device_info, Limits(), path_access=path_access)

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
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    if exit_with_pid is not None:
        watch_parent(exit_with_pid, lambda: setattr(server, "should_exit", True))
    try:
        server.run(sockets=[sock])
    finally:
        worker.stop()
        store.close()
        try:
            current = paths.state.read_text()
            if f'"pid": {os.getpid()}' in current:
                paths.state.unlink()
        except OSError:
            pass
    return 0
