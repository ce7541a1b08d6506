"""The read-only HTTP API, /api/v1/ (docs/api.md): the catalogue's indicators for a scope and period, the ranking of
the scope's child units, the overdue work orders (keyset pages) and unit outlines as GeoJSON.

A request carries an API token (``Authorization: Bearer ggc_…``) that an admin issued to an account on /admin; it
reads as that account, through the app role and row-level security like the account's pages, and every use is
audited. Answers are cached per area, endpoint, parameters and data version (an import renews them). Errors are
JSON ``{"error": {"status", "code", "message", "parameter"}}``: 400 naming the bad parameter, 401, 403, 404, 429
(per token and per address, with Retry-After); never a traceback.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from datetime import date, datetime

import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dashboard.labels import text_in
from dashboard.safe import FORMULA_START
from data_access import accounts, clock, indicators, periods, reads, tokens
from data_access.engine import Principal, acting_as, read_engine
from data_access.meta import data_version
from data_access.reads import issues, maps, organisation, places, stations
from data_access.reads.ranking import ranking as ranking_of
from data_access.scope import LEVELS, Scope, is_place_code
from geo.mapping import feature_collection, geoms_of
from web import limits, telemetry

BASE = "/api/v1"
CACHE_TTL_S, CACHE_SIZE = reads.TTL_S, 512
MAX_LIMIT = 500
log = logging.getLogger(__name__)
_PERIOD = ("range", "from", "to", "compare")
_ISSUE_RATES = tuple(i.key for i in indicators.INDICATORS if i.domain == "issues")


class Problem(Exception):
    """An answer other than 200: its status, a short code, a message and the parameter at fault."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter, self.headers = status, code, message, parameter, headers

    def response(self) -> JSONResponse:
        body = {"status": self.status, "code": self.code, "message": self.message, "parameter": self.parameter}
        return JSONResponse({"error": body}, status_code=self.status, headers=self.headers)


# Parameters ------------------------------------------------------------------------------------------------


def _params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for key in request.query_params.keys():
        values = request.query_params.getlist(key)
        if key not in allowed:
            raise Problem(400, "unknown_parameter", f"unknown parameter; this endpoint takes {', '.join(allowed)}", key)
        if len(values) > 1 or len(values[0]) > 200:
            raise Problem(400, "bad_parameter", "give this parameter once, at most 200 characters", key)
        out[key] = values[0]
    return out


def _choice(params: dict, key: str, choices, default: str) -> str:
    value = params.get(key, default)
    if value not in choices:
        raise Problem(400, "bad_parameter", f"expected one of {', '.join(choices)}", key)
    return value


def _scope(params: dict, who: Principal) -> Scope:
    code = params.get("scope") or who.area or None
    if code is not None and not is_place_code(code):
        raise Problem(400, "bad_parameter", "a place code of 6, 9, 12 or 15 digits", "scope")
    if not who.sees(code):
        raise Problem(403, "outside_area", "this place is outside the token's area", "scope")
    return Scope.from_code(code)


def _date(params: dict, key: str) -> date:
    try:
        return date.fromisoformat(params[key])
    except (KeyError, ValueError):
        raise Problem(400, "bad_parameter", "a date as YYYY-MM-DD (range=custom needs from and to)", key) from None


def _period(params: dict, as_of: datetime):
    """(the period, its comparison), as the pages compute them (data_access.periods)."""
    rng = periods.ALIASES.get(params.get("range"), params.get("range"))
    rng = _choice({"range": rng} if rng else {}, "range", periods.RANGES, periods.DEFAULT_RANGE)
    compare = _choice(params, "compare", periods.COMPARES, "prev")
    if rng != "custom":
        for key in ("from", "to"):
            if key in params:
                raise Problem(400, "bad_parameter", "from and to are for range=custom", key)
        return periods.periods(rng, as_of.date(), compare)
    start, end = _date(params, "from"), _date(params, "to")
    if end < start:
        raise Problem(400, "bad_parameter", "to is before from", "to")
    return periods.periods(rng, as_of.date(), compare, start, end)


def _cursor(value: str | None) -> tuple | None:
    """The (due_at, order_no) an ``after`` cursor carries."""
    if value is None:
        return None
    try:
        due, code = json.loads(base64.urlsafe_b64decode(value.encode() + b"=" * (-len(value) % 4)))
        return datetime.fromisoformat(due), str(code)
    except (ValueError, TypeError):
        raise Problem(
            400, "bad_parameter", "not a cursor this API gave (the next of a previous page)", "after"
        ) from None


def _next_cursor(row) -> str:
    raw = json.dumps([pd.Timestamp(row["due_at"]).isoformat(), row["order_no"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Values -----------------------------------------------------------------------------------------------------


def _plain(v):
    """A JSON value: NaN and NA as null, numpy numbers as Python's, times as ISO text."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):  # counts summed by the store arrive as floats: whole ones as ints
        return None if np.isnan(v) else int(v) if float(v).is_integer() else float(v)
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.isoformat()
    return v


def _shown(key: str, v):
    """The value as the pages show it (the catalogue's decimals), a number."""
    v, ind = _plain(v), indicators.get(key)
    if v is None:
        return None
    return round(v) if ind.kind == "count" or not ind.decimals else round(float(v), ind.decimals)


def _indicator_row(ind, values: dict, level: str, language: str) -> dict:
    v, n = values.get(ind.key), values.get(ind.denominator) if ind.denominator else None
    return {
        "key": ind.key,
        "name": text_in(language, ind.key),
        "domain": ind.domain,
        "unit": ind.unit,
        "value": _shown(ind.key, v),
        "numerator": _plain(values.get(ind.numerator)),
        "denominator": _plain(n),
        "higher_is_better": ind.higher_is_better,
        "status": indicators.rag(ind.key, v, level, n),
        "small_sample": bool(n is not None and indicators.small_sample(ind.key, n)),
    }


# Endpoints (run in a worker thread, as the token's account) ------------------------------------------------


def _place(engine, scope: Scope) -> dict:
    if scope.code is None:
        return {"code": None, "name": None, "level": "city"}
    path = places.place_path(engine, scope)
    if path.empty or path.iloc[-1]["code"] != scope.code:
        raise Problem(404, "no_such_place", "no place has this code", "scope")
    return {"code": scope.code, "name": path.iloc[-1]["name"], "level": scope.level}


def _span(period) -> dict:
    return {"start": period.start.isoformat(), "end": (period.end - pd.Timedelta(days=1)).isoformat()}


def _header(engine, scope: Scope, at: datetime, periods_=None) -> dict:
    """The place, the figures' moment (wall time in the clock's zone, to the minute) and the period with its
    comparison."""
    out = {"place": _place(engine, scope), "as_of": at.isoformat(timespec="minutes")}
    if periods_ is not None:
        out["period"], out["comparison"] = _span(periods_[0]), _span(periods_[1])
    return out


def indicators_of(engine, who: Principal, params: dict) -> dict:
    language, scope = params.get("lang", "zh"), _scope(params, who)
    at = clock.as_of()
    period, previous = _period(params, at)
    head = _header(engine, scope, at, (period, previous))
    walk = stations.walk_coverage(stations.station_coverage(engine, scope))
    values = {
        **issues.issue_kpis(engine, scope, period, at).iloc[0].to_dict(),
        **organisation.coverage_rates(engine, scope).iloc[0].to_dict(),
        **walk[["covered", "households", "station_coverage"]].to_dict(),
    }
    rows = [_indicator_row(i, values, scope.level, language) for i in indicators.INDICATORS if i.key in values]
    return {**head, "indicators": rows}


def ranking(engine, who: Principal, params: dict) -> dict:
    language, scope = params.get("lang", "zh"), _scope(params, who)
    key = _choice(params, "indicator", _ISSUE_RATES, "on_time_rate")
    if scope.level == "grid":
        raise Problem(400, "bad_parameter", "a grid has no child units to rank", "scope")
    at = clock.as_of()
    period, previous = _period(params, at)
    head = _header(engine, scope, at, (period, previous))
    df = ranking_of(engine, scope, period, at, key)
    ind = indicators.get(key)
    level = scope.child_level
    about = _indicator_row(ind, {}, level, language)
    described = ("key", "name", "domain", "unit", "higher_is_better")  # the indicator's: said once, above the rows
    rows = []
    for rec in df.to_dict("records"):
        row = {k: v for k, v in _indicator_row(ind, rec, level, language).items() if k not in described}
        unit = {"rank": _plain(rec["place_rank"]), "board": rec["board"] or None, "code": rec["code"]}
        rows.append({**unit, "name": rec["name"], **row})
    return {**head, "indicator": {k: about[k] for k in described}, "units": rows}


def overdue(engine, who: Principal, params: dict) -> dict:
    language, scope = params.get("lang", "zh"), _scope(params, who)
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, "bad_parameter", f"a whole number from 1 to {MAX_LIMIT}", "limit")
    after = _cursor(params.get("after"))
    at = clock.as_of()
    head = _header(engine, scope, at)
    df = issues.overdue_issues(engine, scope, at, limit=limit + 1, after=after)
    more = len(df) > limit
    df = df.head(limit)
    if language == "en":
        df["category"] = df["category_en"].fillna(df["category"])
    items = [
        {k: _plain(v) for k, v in rec.items() if k != "category_en"} for rec in df.to_dict("records")
    ]  # fmt: skip
    return {**head, "items": items, "next": _next_cursor(df.iloc[-1]) if more else None}


def units(engine, who: Principal, params: dict) -> dict:
    scope = _scope(params, who)
    below = LEVELS[LEVELS.index(scope.level) + 1 : LEVELS.index("grid") + 1]
    if not below:
        raise Problem(400, "bad_parameter", "a grid has no units below it with outlines", "scope")
    level = _choice(params, "level", below, below[0])
    head = _header(engine, scope, clock.as_of())
    df = maps.unit_geoms(engine, scope, level)
    df["level"] = level
    collection = feature_collection(df, geoms_of(df, level), ["code", "name", "level"]) if len(df) else {
        "type": "FeatureCollection", "features": []}  # fmt: skip
    return {**collection, "place": head["place"], "as_of": head["as_of"]}


_TABLE_KEY = {"indicators": "indicators", "ranking": "units", "overdue": "items"}
ENDPOINTS = {  # name → (function, the parameters it takes, formats)
    "indicators": (indicators_of, ("scope", *_PERIOD, "lang", "format"), ("json", "csv")),
    "ranking": (ranking, ("scope", *_PERIOD, "indicator", "lang", "format"), ("json", "csv")),
    "overdue": (overdue, ("scope", "limit", "after", "lang", "format"), ("json", "csv")),
    "units": (units, ("scope", "level"), ("json",)),
}


# Serving ----------------------------------------------------------------------------------------------------

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key, compute):
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_TTL_S:
            _cache.move_to_end(key)
            return hit[1]
    value = compute()
    with _cache_lock:
        _cache[key] = (now, value)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def principal(request: Request) -> tuple[Principal, str]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "no_token", "send an API token: Authorization: Bearer ggc_…", None,
                      {"WWW-Authenticate": "Bearer"})  # fmt: skip
    token = token.strip()
    username = tokens.username(token)
    who = accounts.current(username) if username else None
    if who is None:
        raise Problem(401, "bad_token", "this token is unknown, revoked, or its account is disabled", None,
                      {"WWW-Authenticate": 'Bearer error="invalid_token"'})  # fmt: skip
    return who, token


def _answer(name: str, request: Request) -> tuple[Principal, object]:
    """The token's account and the endpoint's answer for it (its body, or the Problem it raised)."""
    fn, allowed, formats = ENDPOINTS[name]
    who, token = principal(request)
    try:
        wait = limits.PER_TOKEN.retry_after(token)
        if wait:
            raise Problem(429, "too_many_requests", "this token's rate limit; retry later", None,
                          {"Retry-After": str(wait)})  # fmt: skip
        params = _params(request, allowed)
        _choice(params, "format", formats, "json")
        _choice(params, "lang", ("zh", "en"), "zh")
        with acting_as(who):
            engine = read_engine()
            at = clock.as_of()  # answers move with the figures' minute and the data's version
            key = (who.prefix, who.role, name, tuple(sorted(params.items())), data_version(engine), at)
            return who, _cached(key, lambda: fn(engine, who, params))
    except Problem as problem:
        return who, problem


def _audit(who: Principal, request: Request, status: int, address: str) -> None:
    """Every use of a token, but those its rate limit turned away (a flood would write a row each)."""
    if status != 429:
        accounts.log_event(who, "api", path=request.url.path, query=str(request.url.query)[:500], status=status,
                           addr=address)  # fmt: skip


def _csv(name: str, body: dict) -> Response:
    rows = body[_TABLE_KEY[name]]
    out = io.StringIO()
    out.write("\ufeff")  # the BOM: Excel and WPS read the Chinese right
    writer = csv.writer(out)
    writer.writerow(rows[0].keys() if rows else [])
    for row in rows:  # text a spreadsheet would take for a formula is written as text
        writer.writerow([f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row.values()])
    text = out.getvalue()
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})  # fmt: skip


def endpoint(name: str):
    async def serve(request: Request) -> Response:
        status = 503
        try:
            address = limits.address(request)
            wait = limits.PER_ADDRESS.retry_after(address)
            if wait:
                raise Problem(429, "too_many_requests", "too many requests from this address; retry later", None,
                              {"Retry-After": str(wait)})  # fmt: skip
            who, body = await run_in_threadpool(_answer, name, request)
            status = body.status if isinstance(body, Problem) else 200
            await run_in_threadpool(_audit, who, request, status, address)
            if isinstance(body, Problem):
                return body.response()
            if request.query_params.get("format") == "csv":
                return _csv(name, body)
            media = "application/geo+json" if name == "units" else "application/json"
            return JSONResponse(body, media_type=media, headers={"Cache-Control": "private, no-cache"})
        except Problem as problem:
            status = problem.status
            return problem.response()
        except Exception:  # the store went away: say so, with a reference to the log line
            ref = f"{time.time_ns() % 16**8:08x}"
            log.exception("api %s failed (ref %s)", request.url.path, ref)
            return Problem(503, "unavailable", f"the store did not answer; try again (ref {ref})").response()
        finally:
            telemetry.API_REQUESTS.labels(name, str(status)).inc()

    return serve


async def not_found(request: Request) -> Response:
    telemetry.API_REQUESTS.labels("unknown", "404").inc()
    return Problem(404, "no_such_endpoint", f"no such endpoint; see {BASE}/openapi.json").response()


ROUTES = [Route(f"{BASE}/{name}", endpoint(name), methods=["GET"]) for name in ENDPOINTS]
FALLBACK = Route(BASE + "/{rest:path}", not_found)  # after every other route of the API
