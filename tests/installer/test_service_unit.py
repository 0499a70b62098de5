"""The documented systemd unit starts the runner with arguments the runner's CLI really accepts."""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "resources" / "systemd" / "omnisat-runner.service"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    return parser


def test_unit_execstart_parses_as_runner_serve() -> None:
    unit = _unit()
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[1:3] == ["-m", "runner"]
    code = ("import json, sys; from runner.cli import build_parser; a = build_parser().parse_args(sys.argv[1:]); "
            "print(json.dumps({'command': a.command, 'host': a.host, 'port': a.port, 'home': str(a.home), "
            "'no_path_access': a.no_path_access}))")
    done = subprocess.run([sys.executable, "-c", code, *argv[3:]], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    args = json.loads(done.stdout)
    assert args == {"command": "serve", "host": "127.0.0.1", "port": 8765, "home": "/var/lib/omnisat-runner",
                    "no_path_access": True}
    assert args["home"] in unit["Service"]["ReadWritePaths"]
    assert unit["Service"]["User"] == "omnisat" and unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_is_identical_to_the_documented_one() -> None:
    doc = (REPO / "docs" / "runner-service.md").read_text()
    block = doc.split("```ini\n", 1)[1].split("```", 1)[0]
    assert block == UNIT.read_text()


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    copy = tmp_path / "omnisat-runner.service"
    copy.write_text(UNIT.read_text())
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines()
                if "omnisat-runner.service" in line and "Command /opt/omnisat-runner" not in line
                and "User" not in line]
    assert not [p for p in problems if "Unknown" in p or "Invalid" in p or "Failed to parse" in p], done.stderr
