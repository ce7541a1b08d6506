"""Issue records for the demo: background volume plus the calibrated subsets the seeds publish."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.categories import DISPUTES, EMERGENCIES, PROPERTY, deadline

SOURCE_WEIGHTS = {
    "grid_patrol": 0.46,
    "hotline": 0.24,
    "resident_request": 0.08,
    "resident_order": 0.05,
    "visit": 0.09,
    "drone_ai": 0.02,
    "property_steward": 0.03,
    "petition": 0.03,
}
ESCALATION_WEIGHTS = {"compound": 0.34, "community": 0.40, "street": 0.19, "district": 0.07}
_STAGE_SHARE = np.array([0.03, 0.06, 0.12, 0.75, 0.9, 1.0])  # accepted … closed, as shares of handling time
_STAGES = ["accepted_at", "registered_at", "dispatched_at", "handled_at", "verified_at", "closed_at"]
_MONTH_SEASON = np.array([0.8, 0.75, 1.0, 1.05, 1.1, 1.15, 1.25, 1.2, 1.05, 1.0, 0.9, 0.85])


# 承办单位: who handles a level-3 category ("street": the street the issue is in, 属地), by category code
# or its level-2 / level-1 prefix (the longest match wins).
ROUTES = {
    "010101": "城管局",
    "010102": "street",
    "0102": "城管局",
    "0103": "园林局",
    "02": "住建局",
    "020102": "市场监管局",
    "020201": "street",
    "03": "street",
    "030301": "人社局",
    "040101": "消防救援大队",
    "040102": "street",
    "040201": "公安分局",
    "040301": "燃气公司",
    "05": "应急管理局",
    "060101": "民政局",
    "060102": "医保局",
    "0602": "民政局",
    "060301": "城建局",
    "060302": "供电公司",
    "060303": "水务集团",
}
BUREAU_KINDS = {"燃气公司": "utility", "供电公司": "utility", "水务集团": "utility", "消防救援大队": "other"}


def departments(
    district_code: str, district_name: str, streets: pd.DataFrame, street_strength: dict, rng
) -> pd.DataFrame:
    """A district's handling departments: its streets (属地) and the bureaus and utilities of ROUTES, each with
    a strength (how well it handles what it is sent; a street's is the street's own)."""
    bureaus = sorted({v for v in ROUTES.values() if v != "street"})
    rows = [
        {
            "district_code": district_code,
            "street_code": c,
            "name": f"{n}办事处" if n.endswith("街道") else n,
            "kind": "street",
            "strength": street_strength[c],
            "handles": "street",
        }
        for c, n in zip(streets["code"], streets["name"])
    ]
    rows += [
        {
            "district_code": district_code,
            "street_code": None,
            "name": f"{district_name}{b}",
            "kind": BUREAU_KINDS.get(b, "bureau"),
            "strength": float(rng.normal(0, 0.9)),
            "handles": b,
        }
        for b in bureaus
    ]
    df = pd.DataFrame(rows)
    df["code"] = [f"{district_code}D{i:03d}" for i in range(1, len(df) + 1)]
    return df


def _route(categories: np.ndarray, streets: np.ndarray, depts: pd.DataFrame) -> np.ndarray:
    """The department each issue is dispatched to, from its category and street."""
    handler = np.array(
        [next((ROUTES[c[:n]] for n in (6, 4, 2) if c[:n] in ROUTES), "street") for c in categories], dtype=object
    )
    by_handler = dict(zip(depts["handles"], depts["code"]))
    by_street = dict(zip(depts["street_code"], depts["code"]))
    return np.where(
        handler == "street", pd.Series(streets).map(by_street).to_numpy(), pd.Series(handler).map(by_handler).to_numpy()
    )


@dataclass
class Place:
    """Where issues of one district can happen: micro-grids with their parents and strength."""

    micro: pd.DataFrame  # code, grid_code, community_code, street_code, lon, lat, radius_deg, weight, strength
    compound_codes: np.ndarray  # compound codes sorted by grid
    compounds_by_grid: tuple[np.ndarray, np.ndarray, np.ndarray]  # grid codes, start and count in compound_codes
    departments: pd.DataFrame | None = None  # see departments()

    @classmethod
    def build(cls, micro: pd.DataFrame, compounds: pd.DataFrame, depts: pd.DataFrame | None = None) -> Place:
        comp = compounds[compounds["grid_code"].notna()].sort_values("grid_code", kind="stable")
        grids, starts, counts = np.unique(comp["grid_code"].to_numpy(dtype=str), return_index=True, return_counts=True)
        if len(comp) == 0:
            grids, starts, counts = np.array(["-"]), np.array([0]), np.array([0])
        codes = comp["code"].to_numpy(dtype=object) if len(comp) else np.array([None], dtype=object)
        return cls(micro, codes, (grids, starts, counts), depts)


def _pick_places(place: Place, n: int, rng) -> pd.DataFrame:
    w = place.micro["weight"].to_numpy(dtype=float)
    idx = rng.choice(len(w), n, p=w / w.sum())
    m = place.micro.iloc[idx].reset_index(drop=True)
    ang = rng.uniform(0, 2 * np.pi, n)
    rad = m["radius_deg"].to_numpy() * np.sqrt(rng.random(n)) * 0.7
    out = pd.DataFrame(
        {
            "district_code": m["code"].str[:6],
            "street_code": m["street_code"],
            "community_code": m["community_code"],
            "grid_code": m["grid_code"],
            "micro_grid_code": m["code"],
            "lon": m["lon"].to_numpy() + rad * np.cos(ang) / np.cos(np.radians(m["lat"].to_numpy())),
            "lat": m["lat"].to_numpy() + rad * np.sin(ang),
            "strength": m["strength"].to_numpy(),
        }
    )
    # 60 % of issues happen in a compound of their grid, where the grid has one.
    codes, starts, counts = place.compounds_by_grid
    pos = pd.Index(codes).get_indexer(out["grid_code"])
    k = np.where(pos >= 0, counts[pos], 0)
    pick = starts[pos] + (rng.random(n) * np.maximum(k, 1)).astype(int)
    has = (k > 0) & (rng.random(n) < 0.6)
    out["compound_code"] = np.where(has, place.compound_codes[np.where(has, pick, 0)], None)
    return out


SUSPEND_AFTER_DAYS = 60  # an open case this long past its limit is suspended (挂账)
SUSPEND_REASONS = (
    "需多部门协调，已提交联席会议研究",
    "涉及历史遗留问题，已报区级工作专班",
    "已转入司法程序",
    "待上级政策明确后办理",
    "当事人长期无法联系",
    "已纳入年度改造计划",
)


def make_issues(
    rng,
    place: Place,
    categories: pd.DataFrame,
    reported: np.ndarray,
    *,
    as_of: datetime,
    source=None,
    category=None,
    closed=None,
    escalation=None,
) -> pd.DataFrame:
    """Issues reported at ``reported`` (datetime64 array) in ``place`` with a full lifecycle.

    ``source``/``category``/``escalation`` may force values (scalar or array). ``closed``
    forces which issues end closed (boolean array); otherwise closing follows the
    street's strength and the time elapsed. Forced-closed issues close before ``as_of``.
    """
    n = len(reported)
    df = _pick_places(place, n, rng)
    df["reported_at"] = pd.to_datetime(reported)
    srcs, sw = zip(*SOURCE_WEIGHTS.items())
    df["source_channel"] = source if source is not None else rng.choice(srcs, n, p=np.array(sw) / sum(sw))
    leaves = categories[categories["level"] == 3]
    if category is None:
        category = rng.choice(leaves["code"].to_numpy(), n)
    df["category_code"] = category
    df["category_l1"] = df["category_code"].str[:2]
    df["category_l2"] = df["category_code"].str[:4]
    lim = leaves.set_index("code").loc[df["category_code"]]
    df["due_at"] = deadline(
        df["reported_at"], lim["time_limit"].to_numpy(dtype=float), lim["time_limit_unit"].to_numpy()
    ).to_numpy()
    s = df["strength"].to_numpy()
    if place.departments is not None:  # a bureau's own strength counts beside the street's
        df["department_code"] = _route(df["category_code"].to_numpy(), df["street_code"].to_numpy(), place.departments)
        d = place.departments.set_index("code").loc[df["department_code"]]
        s = np.where(d["kind"].to_numpy() == "street", s, 0.4 * s + d["strength"].to_numpy())
    allowed = (df["due_at"] - df["reported_at"]).dt.total_seconds().to_numpy()
    span = allowed * rng.lognormal(np.log(0.42) - 0.25 * s, 0.55)
    age = (as_of - df["reported_at"]).dt.total_seconds().to_numpy()
    if closed is None:
        # A case that gets stuck closes late, days to weeks past its limit (a weaker place more often), as in
        # a real 12345 or grid system: none stays open for years.
        stuck = rng.random(n) > np.clip(0.955 + 0.02 * s, 0.85, 0.995)
        late = allowed * rng.uniform(1.1, 2.0, n) + rng.exponential(5 * 86400, n)
        span = np.where(stuck, np.maximum(span, late), span)
        closed = span <= age
    else:
        closed = np.asarray(closed, dtype=bool)
        span = np.where(closed, np.minimum(span, age * 0.95), span)
    shares = np.minimum.accumulate((_STAGE_SHARE * rng.uniform(0.75, 1.0, (n, 1)))[:, ::-1], axis=1)[:, ::-1]
    shares[:, -1] = 1.0
    stage_secs = shares * span[:, None]
    reached = stage_secs <= age[:, None]
    # An open issue stops before closing; one long past its deadline stops after dispatch.
    reached[:, -1] = closed
    reached[~closed & (age > allowed * 2), 3:] = False
    for j, col in enumerate(_STAGES):
        t = df["reported_at"] + pd.to_timedelta(stage_secs[:, j], unit="s")
        df[col] = t.where(reached[:, j])
    ev = df["closed_at"].notna().to_numpy() & (rng.random(n) < 0.65)
    ev_at = df["closed_at"] + pd.to_timedelta(rng.uniform(2, 72, n), unit="h")
    ev &= (ev_at <= as_of).fillna(False).to_numpy()
    df["evaluated_at"] = ev_at.where(ev)
    p_sat = np.clip(0.78 + 0.06 * s, 0.5, 0.97)
    u = rng.random(n)
    sat = np.where(
        u < p_sat, "satisfied", np.where(u < p_sat + 0.7 * (1 - p_sat), "basically_satisfied", "dissatisfied")
    )
    df["satisfaction"] = np.where(ev, sat, None)
    if escalation is None:
        lv, lw = zip(*ESCALATION_WEIGHTS.items())
        escalation = rng.choice(lv, n, p=lw)
    df["escalation_level"] = np.where(df["closed_at"].notna(), escalation, None)
    for col in ("reported_at", "due_at", *_STAGES, "evaluated_at"):  # whole seconds, order kept
        df[col] = df[col].dt.floor("s")
    late = (df["closed_at"] > df["due_at"]).to_numpy()
    df["returned_count"] = rng.poisson(0.04 + 0.2 * late)
    df["extended_count"] = rng.poisson(0.02 + 0.5 * late)
    df["reworked_count"] = rng.poisson(0.02 + 0.1 * late)
    df["redispatch_count"] = np.where(df["dispatched_at"].notna(), rng.poisson(0.03 + 0.15 * late), 0)
    if "department_code" in df:  # a department is named when the issue is dispatched to it
        df["department_code"] = df["department_code"].where(df["dispatched_at"].notna())
    # 已解决/未解决 at the return visit, with the satisfaction it goes with.
    p_res = pd.Series(df["satisfaction"]).map({"satisfied": 0.97, "basically_satisfied": 0.85, "dissatisfied": 0.3})
    df["resolved"] = pd.Series(rng.random(n) < p_res.fillna(0).to_numpy()).where(df["evaluated_at"].notna().to_numpy())
    # Acceptance takes minutes to hours whatever the handling time (a stronger place is quicker), and no
    # longer than registration.
    df["accept_due_at"] = df["reported_at"] + pd.to_timedelta(lim["accept_limit_hours"].to_numpy(), unit="h")
    accept = pd.to_timedelta(rng.lognormal(np.log(1500) - 0.35 * s, 0.9), unit="s").to_numpy()
    quick = df["reported_at"] + accept
    df["accepted_at"] = quick.where(df["registered_at"].isna() | (quick < df["registered_at"]), df["accepted_at"])
    df.loc[df["accepted_at"] > as_of, "accepted_at"] = pd.NaT
    df["accepted_at"] = df["accepted_at"].dt.floor("s")
    # 挂账: a case still open long after its limit (those the published figures leave unclosed) is formally
    # suspended, with a date and a reason, instead of sitting open for years.
    held = df["closed_at"].isna() & (df["due_at"] < as_of - pd.Timedelta(days=SUSPEND_AFTER_DAYS))
    delay = pd.to_timedelta(rng.uniform(20, SUSPEND_AFTER_DAYS, n), unit="D")
    df["suspended_at"] = (df["due_at"] + delay).dt.floor("s").where(held.to_numpy())
    df["suspend_reason"] = pd.Series(rng.choice(SUSPEND_REASONS, n), index=df.index).where(held)
    return df.drop(columns=["strength"])


def reporters(rng, issues: pd.DataFrame, workers: pd.DataFrame) -> np.ndarray:
    """The grid worker who reported each grid-patrol issue: one in post then of the issue's grid (None for
    the other channels, and where the grid had nobody)."""
    w = workers[workers["grid_code"].notna()].sort_values("grid_code", kind="stable")
    grids, starts, counts = np.unique(w["grid_code"].to_numpy(dtype=str), return_index=True, return_counts=True)
    pos = pd.Index(grids).get_indexer(issues["grid_code"].fillna("-"))
    k = np.where(pos >= 0, counts[np.maximum(pos, 0)], 0)
    pick = starts[np.maximum(pos, 0)] + (rng.random(len(issues)) * np.maximum(k, 1)).astype(int)
    codes = w["code"].to_numpy(dtype=object)[np.minimum(pick, len(w) - 1)]
    joined = pd.to_datetime(w["joined_on"]).to_numpy()[np.minimum(pick, len(w) - 1)]
    left = pd.to_datetime(w["left_on"]).to_numpy()[np.minimum(pick, len(w) - 1)]
    when = issues["reported_at"].to_numpy()
    in_post = (joined <= when) & (pd.isna(left) | (left > when))
    patrol = (issues["source_channel"] == "grid_patrol").to_numpy()
    return np.where(patrol & (k > 0) & in_post, codes, None)


def daily_times(rng, start: date, end: date, per_year: float, *, growth: float = 0.06) -> np.ndarray:
    """Report times with seasonality, weekly rhythm and yearly growth, from ``start`` to ``end``."""
    days = pd.date_range(start, end, freq="D")
    years = (days - days[0]).days / 365.25
    rate = per_year / 365.25 * _MONTH_SEASON[days.month - 1] * (1 + growth) ** (years - years.max())
    rate = rate * np.where(days.dayofweek >= 5, 0.7, 1.1)
    counts = rng.poisson(rate)
    base = np.repeat(days.to_numpy(), counts)
    return base + pd.to_timedelta(rng.uniform(7, 22, counts.sum()), unit="h").to_numpy()


def times_between(rng, n: int, start: datetime, end: datetime) -> np.ndarray:
    """``n`` uniform times in [start, end)."""
    secs = rng.uniform(0, (end - start).total_seconds(), n)
    return np.sort(np.datetime64(start) + (secs * 1e6).astype("timedelta64[us]"))


def leaves_in(categories: pd.DataFrame, l1: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> np.ndarray:
    leaf = categories[categories["level"] == 3]["code"]
    if l1:
        leaf = leaf[leaf.str[:2].isin(l1)]
    if exclude:
        leaf = leaf[~leaf.str[:2].isin(exclude)]
    return leaf.to_numpy()


def calibrated(
    targets: dict,
    rng,
    place: Place,
    cats: pd.DataFrame,
    start: date,
    as_of: datetime,
    background: pd.DataFrame,
) -> pd.DataFrame:
    """Drop background rows that fall in a published subset, then add the subset exactly."""
    t = targets
    settled = as_of - timedelta(days=30)  # calibrated issues are all past their deadline
    t0 = datetime.combine(start, datetime.min.time())
    pieces = []

    def add(n, n_closed, *, l1=(), exclude=(), t_from=t0, t_to=settled, **forced):
        cat = rng.choice(leaves_in(cats, l1, exclude), n)
        closed = np.zeros(n, dtype=bool)
        closed[rng.choice(n, n_closed, replace=False)] = True
        pieces.append(
            make_issues(
                rng,
                place,
                cats,
                times_between(rng, n, t_from, t_to),
                as_of=as_of,
                category=cat,
                closed=closed,
                **forced,
            )
        )

    b = background
    prop_closed = (b["category_l1"] == PROPERTY) & b["closed_at"].notna()
    if "tri_party_settled" in t:  # 江汉: property issues settled inside the compound (三方联动)
        b = b[~(prop_closed & (b["escalation_level"] == "compound"))]
        add(t["tri_party_settled"], t["tri_party_settled"], l1=(PROPERTY,), escalation="compound")
    if "joint_meeting_settled" in t:  # 襄城: property issues settled at the community joint meeting
        b = b[~(prop_closed & (b["escalation_level"] == "community"))]
        add(t["joint_meeting_settled"], t["joint_meeting_settled"], l1=(PROPERTY,), escalation="community")
    if "property_closed" in t:  # 新罗: property requests handled
        b = b[~prop_closed]
        add(t["property_closed"], t["property_closed"], l1=(PROPERTY,))
    if "disputes_due" in t:  # 太和 / 船山: dispute mediation success
        b = b[b["category_l1"] != DISPUTES]
        visits = t.get("visit_disputes", 0)
        if visits:
            add(visits, visits, l1=(DISPUTES,), source="visit")
        add(
            t["disputes_due"] - visits,
            t["disputes_closed"] - visits,
            l1=(DISPUTES,),
            source=rng.choice(["grid_patrol", "hotline"], t["disputes_due"] - visits),
        )
    if "emergencies_due" in t:  # 船山: first response to emergencies
        b = b[b["category_l1"] != EMERGENCIES]
        add(t["emergencies_due"], t["emergencies_closed"], l1=(EMERGENCIES,), source="grid_patrol")
    for key, src in (
        ("resident_request_closed", "resident_request"),
        ("drone_closed", "drone_ai"),
        ("steward_closed", "property_steward"),
        ("resident_order_closed", "resident_order"),
    ):
        if key in t:  # 太和: requests solved per channel, cumulative
            b = b[b["source_channel"] != src]
            add(t[key], t[key], exclude=(DISPUTES,), source=src)
    if "petitions_last_12m" in t:  # 船山: petitions received, year on year
        b = b[b["source_channel"] != "petition"]
        y1 = as_of - timedelta(days=365)
        y2 = y1 - timedelta(days=365)
        exclude = (DISPUTES, EMERGENCIES)
        for n, lo, hi in (
            (t["petitions_last_12m"], y1, as_of),
            (t["petitions_prior_12m"], y2, y1),
            (int(t["petitions_prior_12m"] * 1.1) * max((y2 - t0).days, 0) // 365, t0, y2),
        ):
            pieces.append(
                make_issues(
                    rng,
                    place,
                    cats,
                    times_between(rng, n, lo, hi),
                    as_of=as_of,
                    source="petition",
                    category=rng.choice(leaves_in(cats, exclude=exclude), n),
                )
            )
    if "grid_events_2021" in t:  # 岳阳楼: grid events reported and handled in 2021
        y = b["reported_at"].dt.year == 2021
        b = b[~(y & (b["source_channel"] == "grid_patrol"))]
        add(
            t["grid_events_2021"],
            t["grid_events_2021_closed"],
            t_from=datetime(2021, 1, 1),
            t_to=datetime(2022, 1, 1),
            source="grid_patrol",
        )
    return pd.concat([b, *pieces], ignore_index=True)


_REQUESTS = tomllib.loads((Path(__file__).with_name("requests.toml")).read_text(encoding="utf-8"))
_ROAD_SUFFIXES = ("路社区", "里社区", "社区", "湾村", "坝村", "沟村", "院村", "村")


def requests(rng, issues: pd.DataFrame, compounds: pd.DataFrame, communities: pd.DataFrame) -> tuple[list, list]:
    """What each issue's resident asked (诉求内容) and where (详细地址), as a 12345 export carries them: a
    building of its compound (幸福小区3栋2单元), else a door on its community's road (常青路12号)."""
    n = len(issues)
    compound_name = issues["compound_code"].map(compounds.set_index("code")["name"])
    stem = communities.set_index("code")["name"]
    for suffix in _ROAD_SUFFIXES:
        stem = stem.where(~stem.str.endswith(suffix), stem.str[: -len(suffix)])
    road = issues["community_code"].map(stem) + "路"
    building, unit, door = rng.integers(1, 13, n), rng.integers(1, 5, n), rng.integers(1, 161, n)
    which, when = rng.integers(0, 3, n), rng.choice(_REQUESTS["when"], n)
    texts, addresses = [], []
    for i, (cat, comp, rd) in enumerate(zip(issues["category_code"], compound_name, road, strict=True)):
        if isinstance(comp, str):
            at, address = f"{comp}{building[i]}栋", f"{comp}{building[i]}栋{unit[i]}单元"
        else:
            at = address = f"{rd}{door[i]}号"
        said = _REQUESTS["texts"].get(cat)
        texts.append(said[which[i] % len(said)].format(at=at, when=when[i]) if said else None)
        addresses.append(address)
    return texts, addresses
