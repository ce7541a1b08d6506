"""The OpenAPI 3.1 document of /api/v1/ (served at /api/v1/openapi.json), built from web.api's endpoints."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from data_access import indicators
from data_access.periods import COMPARES, RANGES
from web.api import BASE, ENDPOINTS, MAX_LIMIT

_PARAMETERS = {
    "scope": ("A place code (6/9/12/15 digits; default: the token's area)", {"type": "string", "pattern": "^[0-9]+$"}),
    "range": (
        "The period: today, this week (so far), last week, this month (so far), last month, this quarter (so far), "
        "last quarter, this year (so far), last year, the last 7 or 30 days, the last 12 months (default), or custom",
        {"type": "string", "enum": list(RANGES)},
    ),
    "compare": (
        "What the period is compared with: prev (环比, the previous period of the same kind; a period so far "
        "against the same days of the previous one) or yoy (同比, the same days a year before)",
        {"type": "string", "enum": list(COMPARES)},
    ),
    "from": ("First day of a custom range (range=custom)", {"type": "string", "format": "date"}),
    "to": ("Last day of a custom range (range=custom)", {"type": "string", "format": "date"}),
    "lang": ("Language of names", {"type": "string", "enum": ["zh", "en"]}),
    "format": ("json, or csv (UTF-8 with BOM)", {"type": "string", "enum": ["json", "csv"]}),
    "indicator": (
        "The catalogue indicator to rank by (worst first)",
        {"type": "string", "enum": [i.key for i in indicators.INDICATORS if i.domain == "issues"]},
    ),
    "limit": ("Rows per page", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    "after": ("The `next` cursor of the previous page", {"type": "string"}),
    "level": (
        "Level of the units (below the scope)",
        {"type": "string", "enum": ["district", "street", "community", "grid"]},
    ),  # fmt: skip
}
_SUMMARY = {
    "indicators": "Every indicator of the catalogue for a place and period (value as the pages show it, its "
    "numerator and denominator, its traffic-light status against the targets)",
    "ranking": "The place's child units ranked worst first by one indicator, with 红黑榜 (best and worst three)",
    "overdue": "Open work orders past their deadline, longest overdue first, in pages (keyset cursor)",
    "units": "Outlines of the units of one level under the place, GeoJSON (WGS-84)",
}
_ERRORS = {
    "400": "A parameter is wrong: error.parameter names it",
    "401": "No token, or an unknown, revoked or disabled one",
    "403": "The place is outside the token's area",
    "404": "No such place",
    "429": "Rate limit (per token, per address): see Retry-After",
    "503": "The store did not answer",
}


def document() -> dict:
    paths = {}
    for name, (_, params, formats) in ENDPOINTS.items():
        responses = {"200": {"description": "OK", "content": {
            ("application/geo+json" if name == "units" else "application/json"): {"schema": {"type": "object"}},
            **({"text/csv": {"schema": {"type": "string"}}} if "csv" in formats else {}),
        }}}  # fmt: skip
        responses.update({code: {"$ref": "#/components/responses/Error"} for code in _ERRORS})
        paths[f"{BASE}/{name}"] = {
            "get": {
                "operationId": name,
                "summary": _SUMMARY[name],
                "parameters": [
                    {
                        "name": p,
                        "in": "query",
                        "required": False,
                        "description": _PARAMETERS[p][0],
                        "schema": _PARAMETERS[p][1],
                    }
                    for p in params
                ],  # fmt: skip
                "responses": responses,
            }
        }
    error = {
        "type": "object",
        "properties": {"error": {"type": "object", "properties": {
            "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"},
            "parameter": {"type": ["string", "null"]}}}},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "Grid Governance Cockpit API", "version": "1", "description": "Read-only. See docs/api.md."},
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "An API token (/admin)"}},
            "schemas": {"Error": error},
            "responses": {
                "Error": {
                    "description": "; ".join(f"{k}: {v}" for k, v in _ERRORS.items()),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
    }


async def serve(request: Request) -> Response:
    return JSONResponse(document())


ROUTE = Route(f"{BASE}/openapi.json", serve, methods=["GET"])
