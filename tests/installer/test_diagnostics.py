"""The copy-to-clipboard diagnostics: the facts a maintainer needs, with home paths and tokens hidden."""

from __future__ import annotations

import os
from pathlib import Path

from omnisat_qgis.diagnostics import build_report, free_memory_bytes, redact

TOKEN = "q8Zr1-abcDEF_ghi2345678901234567890xyzXYZ"


class HealthClient:
    def health(self) -> dict:
        return {"protocol": 1, "runner_version": "0.1.0", "torch_version": "2.13.0+cpu", "device": "cuda",
                "device_name": "NVIDIA L4", "cuda": "12.8", "path_access": False}


class DownClient:
    def health(self) -> dict:
        raise ConnectionRefusedError("connection refused")


def test_report_has_versions_device_memory_and_hides_home_and_token(tmp_path: Path) -> None:
    home = os.path.expanduser("~")
    runner_home = Path(home) / ".local" / "share" / "omnisat-runner"
    report = build_report(HealthClient(), runner_home, f"http://127.0.0.1:8765/?token={TOKEN}", secrets=[TOKEN],
                          extra={"Last error": f"401 with Authorization: Bearer {TOKEN}"})
    fields = dict((k.strip(), v.strip()) for k, _, v in (line.partition(" : ") for line in report.splitlines()))
    assert fields["Runner version"] == "0.1.0" and fields["Torch"] == "2.13.0+cpu" and fields["CUDA"] == "12.8"
    assert fields["Device"] == "cuda (NVIDIA L4)" and fields["Runner reads local paths"] == "False"
    for key in ("QGIS", "Qt", "Python", "OS"):
        assert fields[key] and not fields[key].startswith("unknown"), key
    assert " free of " in fields["Memory"] and " free of " in fields["Disk (runner home)"]
    assert TOKEN not in report and "<redacted>" in report
    assert home not in report and "~/.local/share/omnisat-runner" in report


def test_report_when_runner_is_down() -> None:
    report = build_report(DownClient())
    assert "unreachable (ConnectionRefusedError: connection refused)" in report
    assert "Runner version" not in report


def test_redaction_patterns() -> None:
    text = redact('{"token": "abc123secret", "password"="hunter22"} https://ana:pw@proxy.corp:8080 '
                  "/home/ana/x /home/anabel/y", home="/home/ana")
    assert "abc123secret" not in text and "hunter22" not in text and "ana:pw" not in text
    assert "https://<redacted>@proxy.corp:8080" in text
    assert "~/x" in text and "/home/anabel/y" in text


def test_free_memory_is_plausible() -> None:
    free, total = free_memory_bytes()
    assert 0 < free <= total and total > 256 * 1024**2
