"""Start the runner with a memory allocator that keeps freed pages.

Why: with glibc's allocator, every batch of the aerial CNN frees and re-faults hundreds of MB, and about 30 % of
CPU time goes to the kernel zeroing pages (measured on the reference model; see docs/performance.md). jemalloc told
never to return dirty pages (`dirty_decay_ms:-1`) reuses them and the same work runs ~1.5x faster. Users get that
without knowing about allocators: the runner re-executes itself once with jemalloc preloaded when the library is
there. `OMNISAT_ALLOCATOR=system` opts out; so does a platform without jemalloc.
"""

from __future__ import annotations

import glob
import os
import sys

JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1"
_MARK = "OMNISAT_ALLOCATOR_SET"


def find_jemalloc() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    for pattern in ("/usr/lib/*/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2", "/usr/local/lib/libjemalloc.so.2",
                    os.path.join(sys.prefix, "lib", "libjemalloc.so.2")):
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    return None


def current_allocator() -> str:
    return "jemalloc" if "jemalloc" in os.environ.get("LD_PRELOAD", "") else "system"


def jemalloc_env(base: dict[str, str] | None = None) -> dict[str, str] | None:
    """The environment the runner re-executes with (jemalloc preloaded, pages kept), or None if not applicable.

    The benchmark starts its probes with this same function, so it measures what users get."""
    env = dict(os.environ if base is None else base)
    if env.get("OMNISAT_ALLOCATOR", "jemalloc") == "system":
        return None
    lib = find_jemalloc()
    if lib is None:
        return None
    if "jemalloc" not in env.get("LD_PRELOAD", ""):
        env["LD_PRELOAD"] = f"{lib} {env['LD_PRELOAD']}".strip() if env.get("LD_PRELOAD") else lib
    env.setdefault("MALLOC_CONF", JEMALLOC_CONF)
    env[_MARK] = "1"
    return env


def system_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a run with the C library's allocator (for comparison; `OMNISAT_ALLOCATOR=system`)."""
    env = dict(os.environ if base is None else base)
    env["LD_PRELOAD"] = " ".join(p for p in env.get("LD_PRELOAD", "").split() if "jemalloc" not in p)
    if not env["LD_PRELOAD"]:
        del env["LD_PRELOAD"]
    env.pop("MALLOC_CONF", None)
    env["OMNISAT_ALLOCATOR"] = "system"
    return env


def reexec_with_jemalloc(argv: list[str]) -> None:
    """Replace this process by itself with jemalloc preloaded (same pid); return if not applicable."""
    if os.environ.get(_MARK) or current_allocator() == "jemalloc":
        return
    env = jemalloc_env()
    if env is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "runner", *argv], env)  # nosec B606 - our own interpreter
