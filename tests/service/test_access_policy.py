"""The access policy itself (runner/api/access.py), without a server: the cases the live tests cannot set up."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.api.access import AccessDenied, AccessPolicy


def test_a_runner_started_in_the_filesystem_root_does_not_make_it_a_root(tmp_path: Path) -> None:
    policy = AccessPolicy.local(tmp_path / "home", cwd=Path("/"))
    assert Path("/") not in policy.write_roots
    with pytest.raises(AccessDenied, match="spec.out"):
        policy.check_write("spec.out", "/etc/x.tif")
    policy.check_write("spec.out", str(tmp_path / "home" / "outputs" / "a" / "x.tif"))


def test_uploads_only_reads_no_write_root(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    policy = AccessPolicy.remote(tmp_path / "home", write_roots=[tmp_path / "w"], uploads_only=True)
    assert policy.path_access is False
    with pytest.raises(AccessDenied, match="not an upload"):
        policy.check_read("spec.aerial", str(tmp_path / "w" / "a.tif"))
    policy.check_read("spec.aerial", str(tmp_path / "home" / "uploads" / "abc" / "a.tif"))
    policy.check_write("spec.out", str(tmp_path / "w" / "x.tif"))


def test_xml_inputs_with_a_byte_order_mark_are_still_xml(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    sneaky = tmp_path / "r" / "a.tif"
    sneaky.write_bytes(b"\xef\xbb\xbf  \n<VRTDataset/>")
    tiff = tmp_path / "r" / "b.tif"
    tiff.write_bytes(b"II*\x00" + b"<" * 10)
    policy = AccessPolicy.remote(tmp_path / "home", read_roots=[tmp_path / "r"])
    with pytest.raises(AccessDenied, match="VRT or other XML"):
        policy.check_read("spec.aerial", str(sneaky))
    policy.check_read("spec.aerial", str(tiff))


def test_a_local_runner_passes_gdal_names_for_reading_but_never_writes_to_them(tmp_path: Path) -> None:
    policy = AccessPolicy.local(tmp_path / "home", cwd=tmp_path)
    policy.check_spec({"aerial": "/vsicurl/https://example.org/cog.tif", "s2": ["/anywhere/S2_20200101.tif"]})
    with pytest.raises(AccessDenied, match="GDAL virtual or driver path"):
        policy.check_write("spec.out", "/vsimem/x.tif")
