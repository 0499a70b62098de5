"""Fuzz the live runner's API: schema-driven (schemathesis over the OpenAPI schema) and property-based over the
job specs (hypothesis, drawing the specs' own field names with values of every shape). Whatever arrives, the answer
is never a 5xx and the runner stays up.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.specs import SPEC_TYPES
from tests.service.conftest import start_runner

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture(scope="module")
def fuzz_runner(tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz") / "home"
    home.mkdir()
    runner = start_runner(home)
    yield runner
    runner.stop()


def test_openapi_operations_never_answer_5xx(fuzz_runner) -> None:
    with fuzz_runner.client() as c:
        schema_doc = c.get("/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(schema_doc)
    failures = []
    for op in schema.get_all_operations():
        operation = op.ok()
        strategy = operation.as_strategy()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=strategy)
        def check(case) -> None:
            response = case.call(base_url=fuzz_runner.url, headers={"Authorization": f"Bearer {fuzz_runner.token}"})
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        check()
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("kind", sorted(SPEC_TYPES))
def test_job_specs_from_their_json_schema_never_answer_5xx(fuzz_runner, kind: str, tmp_path) -> None:
    fields = sorted(SPEC_TYPES[kind].model_fields) or ["unexpected"]
    anything = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                            lambda s: st.lists(s, max_size=3) | st.dictionaries(st.text(max_size=8), s, max_size=3),
                            max_leaves=8)
    typed = (st.sampled_from(["tiny", "base", "auto", "cpu", "EPSG:4326", "m1", "x.tif", "S2_20200101.tif"])
             | st.lists(st.text(max_size=30), max_size=3) | st.tuples(*[st.floats(allow_nan=True)] * 4)
             | st.integers(-10, 10**6) | st.lists(st.dates().map(str), max_size=3))
    specs = st.dictionaries(st.sampled_from(fields) | st.text(max_size=10), typed | anything, max_size=8)
    client = fuzz_runner.client()
    seen: list[int] = []

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(spec=specs)
    def check(spec) -> None:
        # keep generated paths inside the test folder: a fuzzer must not make the runner write elsewhere
        if isinstance(spec, dict) and "out" in spec:
            spec["out"] = str(tmp_path / "fuzz.tif")
        try:
            body = json.dumps({"kind": kind, "spec": spec})  # NaN/Infinity too: clients do send them
            r = client.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
        except httpx.TransportError as err:  # the runner died: that is the failure we look for
            raise AssertionError(f"runner unreachable after spec {spec!r}: {err}") from err
        seen.append(r.status_code)
        assert r.status_code < 500, (spec, r.status_code, r.text[:300])
        if r.status_code == 201:
            client.post(f"/v1/jobs/{r.json()['id']}/cancel")

    check()
    assert client.get("/v1/health").status_code == 200
    assert any(code == 422 for code in seen), "the fuzzer never produced an invalid spec: strategy too narrow"
    client.close()
