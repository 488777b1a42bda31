"""Schemathesis 4 against the app's own /openapi.json, in process: whatever it sends, no 5xx, and
every check holds — responses match their schemas, statuses are documented, 405s carry Allow, bad
data is rejected, and schema-valid data is accepted. "Accepted" counts the answers the contract
gives schema-valid requests that the service still cannot compute (docs/api.md, Errors): 422 for a
source that does not parse or a spec that cannot train (a schema cannot say which ones parse) and
413 for a body or source over its limit.

Covers every documented operation. Examples are capped so the run stays around a minute.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from gradwalk.api.main import app

ACCEPTED = ["2XX", "413", "422"]  # computed, or refused with the contract's own error (never 400, 404, 405, 415)
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    case.validate_response(response)  # every check
