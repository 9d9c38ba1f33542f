"""Package-level rules: the core's purity, explicit exports, Literals matching the schemas."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import get_args

import mockserver.contract as core
from mockserver.contract.data import catalogue
from mockserver.contract.data.schemas import catalogue_data, load_schema
from mockserver.contract.jobs.lifecycle import Outcome

FORBIDDEN = ("flask", "werkzeug", "respx", "httpx", "httpx2", "pytest", "hypothesis", "requests", "socket")


def test_core_imports_no_adapter_or_network_library() -> None:
    code = (
        "import json, sys; import mockserver.contract, mockserver.contract.admin.routes;"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))
    # `socket` may be pulled in by the standard library's `uuid`/`random`; the rest must not load.
    assert not {m.split(".")[0] for m in loaded} & set(FORBIDDEN[:-2]), sorted(loaded)


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(core) if not name.startswith("_")}
    submodules = {name for name in public if type(getattr(core, name)).__name__ == "module"}
    assert set(core.__all__) == public - submodules
    assert len(core.__all__) == len(set(core.__all__))


def test_mode_and_status_literals_match_the_schemas() -> None:
    job = load_schema("job")
    data = catalogue_data()
    assert set(get_args(catalogue.Status)) == set(job["properties"]["status"]["enum"]) == set(catalogue.STATUSES)
    assert set(get_args(catalogue.Mode)) == set(data["modes"]) == set(catalogue.MODES)
    assert set(get_args(Outcome)) == {"succeed", "fail", "stall", "timeout"}


def test_models_come_from_the_request_schema() -> None:
    assert list(catalogue.MODELS) == load_schema("request")["properties"]["model"]["enum"]
    assert all(m.startswith(("viduq3p-", "viduq3t-")) for m in catalogue.MODELS)
    mixes = [m for m in catalogue.MODELS if catalogue.is_mix_model(m)]
    assert mixes and all(m.startswith("viduq3p-mix-") for m in mixes)


def test_every_catalogue_error_has_a_type_the_error_schema_allows() -> None:
    types = set(load_schema("error")["properties"]["error"]["properties"]["type"]["enum"])
    assert {spec.type for spec in catalogue.ERRORS} <= types
    codes = {spec.code for spec in catalogue.ERRORS}
    for code in ("invalid_json", "missing_field", "invalid_value", "model_not_supported", "invalid_mode"):
        assert code in codes
    statuses = {spec.status for spec in catalogue.ERRORS}
    assert {400, 401, 404, 405, 413, 415, 429, 500, 502, 503, 504} <= statuses
