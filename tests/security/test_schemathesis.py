"""Every operation of the three OpenAPI documents, fuzzed by schemathesis against a seeded system.

Generated requests (valid and invalid) as the region's administrator, who may call almost
everything, and as a provider, who may call the provider-facing routes. No answer may be a
5xx, and every answer must conform to the document: status code, content type, headers and
body schema. Bounded for CI by HALSOVAL_FUZZ_EXAMPLES (25 examples per operation and role).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from tests.security.conftest import ADMIN, A, Databases, System, as_role, build_system, seed

EXAMPLES = int(os.environ.get("HALSOVAL_FUZZ_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
PROVIDER = as_role("provider", "fuzz@provider", hsa_ids=[A])


@pytest.fixture(scope="module")
def fuzz_system(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[System]:
    """The seeded system, with provider rate limits out of reach: whether a request meets a 429
    would depend on how fast the machine is, and a fuzz run must be the same every time (the
    limits are tested in tests/shared/test_ratelimit.py)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PROVIDER_RATE_PER_S", "1000000")
        env.setenv("PROVIDER_BURST", "1000000")
        for system in build_system(tmp_path_factory.mktemp("fuzz"), databases):
            seed(system)
            yield system


_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
ROLES = {"admin": ADMIN, "provider": PROVIDER}


def _requests_only(app: Any) -> Any:
    """The app without its lifespan: schemathesis loads the document inside a lifespan of its
    own, and the app's shutdown would close its peers' HTTP clients under the running system
    (the system's TestClient owns the lifespan)."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return asgi


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Fuzz one operation in one mode; the number of requests sent."""
    sent = 0

    @_settings
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
    return sent


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("service", ["listing", "payment", "lastresort"])
def test_no_operation_answers_5xx_or_outside_its_document(
    fuzz_system: System, service: str, role: str, record_property: Any
) -> None:
    app = _requests_only(fuzz_system.apps[service])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    tried = cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE]
        if any(True for _ in operation.iter_parameters()) or operation.body:
            modes.append(GenerationMode.NEGATIVE)  # an operation without inputs has no wrong ones
        for mode in modes:
            tried += 1
            try:
                cases += _fuzz(operation, mode, ROLES[role])
            except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then report
                failures.append(f"{operation.label} ({mode.value}): {exc!r}"[:3000])
    record_property("fuzz_cases", cases)
    if os.environ.get("HALSOVAL_FUZZ_REPORT"):
        sys.stderr.write(f"\nfuzz {service} as {role}: {tried} operation modes, {cases} cases\n")
    assert tried > 0 and cases > 0
    assert failures == [], "\n\n".join(failures)
