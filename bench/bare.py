"""The baseline for the statement-fetch load test: a bare FastAPI endpoint, no middleware,
no auth, no database, served by the same uvicorn settings as the real services."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_BODY: dict[str, Any] = {
    "period": "2026-10",
    "version": 1,
    "statements": [
        {
            "statement_id": "00000000-0000-0000-0000-000000000000",
            "run_id": "r",
            "period": "2026-10",
            "version": 1,
            "status": "approved",
            "count_date": "2026-09-30",
            "as_known_at": "2026-11-01T00:00:00+00:00",
            "model_year": 2026,
            "model_version": 1,
            "hsa_id": "SE2321000016-7301",
            "listed": 9000,
            "lines": [
                {
                    "component": c,
                    "weight": "1",
                    "total_weight": "2",
                    "share": "0.5",
                    "pool_sek": "1000.00",
                    "amount_sek": "500.00",
                    "delta_sek": None,
                }
                for c in ("capitation", "cni", "sparsity")
            ],
            "total_sek": "1500.00",
            "delta_sek": None,
        }
    ],
}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bare")
    def bare() -> dict[str, Any]:  # sync, like the real routes: same threadpool path
        return _BODY

    return app
