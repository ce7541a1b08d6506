"""Whole Wuhan in the default demo: the eleven districts beyond 江汉区 and 武昌区, at light activity volume,
generated so that the city-wide figures of ../shared/reference/seed_figures.csv come out of the raw rows.

The two seed districts are generated first, as they always were. What they hold towards each city-wide figure
is counted from their rows; the rest of each figure is shared out over the eleven districts as their targets
(see ``SPEC.CITY_TARGETS``). Structure follows: the eleven districts get as many communities and villages as
the city's 社区党组织 count leaves, and enough compounds for its 小区党组织.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from data_access.demo import practices
from data_access.demo.layout import allocate
from data_access.demo.spec import CITY_TARGETS
from data_access.indicators import FREQUENT_TOPIC

WUHAN = "420100"
RURAL = {"420112", "420113", "420114", "420115", "420116", "420117"}  # districts with towns and villages
RURAL_COMMUNITIES = 40  # in a rural district's streets; the rest of its share are villages


# City-wide counts the eleven districts share out as targets of the same name: evenly, or by their compounds.
TARGETS = ("compound_stations", "in_service", "partner_units", "joint_projects", "co_creation_this_year")
SHARED_EVENLY = (*TARGETS, "old_takeovers", "professional_teams", "neighbourhood_teams")
SHARED_BY_COMPOUNDS = ("compound_branches", "building_groups")
TARGETS = (*TARGETS, *SHARED_BY_COMPOUNDS)


def light_codes(outlines: list[dict]) -> list[str]:
    return [o["code"] for o in outlines if o["city_code"] == WUHAN and not o["seed"]]


def _rows(tables, name: str, codes) -> pd.DataFrame:
    frames = [f[f["district_code"].isin(codes)] for f in tables.frames.get(name, []) if "district_code" in f]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["district_code"])


def held(tables, codes, as_of: date) -> dict:
    """What the districts ``codes`` hold towards each city-wide figure (the same definitions as figures.py)."""
    jan1 = np.datetime64(date(as_of.year, 1, 1))
    party = _rows(tables, "party_org", codes)
    projects = _rows(tables, "joint_project", codes)
    teams = _rows(tables, "volunteer_team", codes)
    questions = _rows(tables, "resident_question", codes)
    this_year = questions[pd.to_datetime(questions["raised_on"]) >= jan1]
    return dict(
        communities=len(_rows(tables, "community", codes)),
        residents=int(_rows(tables, "community", codes)["residents"].sum()),
        compound_stations=int((_rows(tables, "service_station", codes)["type"] == "compound_station").sum()),
        compound_branches=int(((party["level"] == "branch") & party["branch_kind"].isin(["compound", "area"])).sum()),
        building_groups=int((party["level"] == "building_group").sum()),
        community_workers=int((_rows(tables, "grid_worker", codes)["role"] == "community_worker").sum()),
        in_service=len(_rows(tables, "in_service_registration", codes)),
        partner_units=len(_rows(tables, "partner_unit", codes)),
        joint_projects=int((projects["kind"] == "joint").sum()),
        co_creation_this_year=int(
            ((projects["kind"] == "co_creation") & (pd.to_datetime(projects["started_on"]) >= jan1)).sum()
        ),
        professional_teams=int((teams["kind"] == "professional").sum()),
        neighbourhood_teams=int((teams["kind"] == "neighbourhood").sum()),
        service_items=set(_rows(tables, "service_item", codes)["name"]),
        topics=this_year["topic"].value_counts().reindex(list(practices.QUESTION_TOPICS), fill_value=0).to_numpy(),
        old_takeovers=_takeovers(tables, codes),
    )


def _takeovers(tables, codes) -> int:
    """Old compounds whose fees name a company for the first time after a year with none."""
    fees = _rows(tables, "property_fee", codes)
    old = set(_rows(tables, "compound", codes).query("type == 'old'")["code"])
    fees = fees[fees["compound_code"].isin(old)].sort_values(["compound_code", "year"])
    managed = fees["company_id"].notna().to_numpy()
    prev_none = (
        np.r_[False, ~managed[:-1]]
        & np.r_[False, fees["compound_code"].to_numpy()[1:] == fees["compound_code"].to_numpy()[:-1]]
    )
    return fees.loc[managed & prev_none, "compound_code"].nunique()


def light_specs(tables, seed_codes: list[str], codes: list[str], as_of: date) -> dict[str, dict]:
    """The eleven districts' layout, volumes and targets, given what the seed districts hold."""
    have, want = held(tables, seed_codes, as_of), CITY_TARGETS
    n = len(codes)
    rng = np.random.default_rng(int(WUHAN))  # districts differ, a little: no two alike in a ranking

    def share(key: str, weights=None) -> np.ndarray:
        """The rest of the city's ``key``: by ``weights`` (a district's compounds: what it can hold), else about
        evenly."""
        rest = want[key] - have[key]
        if rest < 0:
            raise ValueError(f"the seed districts already hold {have[key]} of {key}, above the city's {want[key]}")
        return allocate(rest, rng.uniform(0.8, 1.2, n) if weights is None else weights, minimum=0)

    places = share("communities")
    rural = np.array([c in RURAL for c in codes])
    communities = np.where(rural, RURAL_COMMUNITIES, places)
    villages = places - communities
    compounds = np.where(rural, 460, 560)
    residents_total = round(want["community_workers"] * 10000 / want["workers_per_10k"])
    residents = allocate(residents_total - have["residents"], places * rng.uniform(0.8, 1.2, n), minimum=0)
    workers = share("community_workers", residents * rng.uniform(0.85, 1.15, n))
    counts = {key: share(key) for key in SHARED_EVENLY}
    counts.update({key: share(key, compounds) for key in SHARED_BY_COMPOUNDS})
    takeovers = counts["old_takeovers"]
    eligible = (compounds * 0.75).astype(int)
    # 服务事项: the city's fuller list, each item offered somewhere; the seed districts use the base catalogue.
    base = {name for names in practices.SERVICE_CATALOGUE.values() for name in names}
    extra = [name for name, _ in practices.city_service_catalogue() if name not in base | have["service_items"]]
    extra = extra[: want["service_items"] - len(base | have["service_items"])]
    topics = _topic_counts(have["topics"], want["questions_this_year"] - int(have["topics"].sum()))
    per_topic = np.array([allocate(int(k), rng.uniform(0.8, 1.2, n), minimum=0) for k in topics]).T  # district×topic
    prof, neigh = counts["professional_teams"], counts["neighbourhood_teams"]
    specs = {}
    for i, code in enumerate(codes):
        specs[code] = dict(
            streets=6 if rural[i] else 10,
            towns=6 if rural[i] else 0,
            communities=int(communities[i]),
            villages=int(villages[i]),
            grids_street=int(3 * communities[i]),
            grids_town=int(villages[i]),
            micro_grids=int(2 * (3 * communities[i] + villages[i])),
            compounds=int(compounds[i]),
            compounds_same=80,
            compounds_larger=20,
            core_weight=0.5,
            households=(200, 900),
            old_compounds=300,
            issues_per_year=200,
            volunteers=500,
            service_items_per_community=(4, 10),
            activity_rate=0.5,
            teams=int(prof[i] + neigh[i] + 40),
            targets=dict(
                residents=int(residents[i]),
                community_workers=int(workers[i]),
                **{key: int(counts[key][i]) for key in TARGETS},
                team_kinds={"professional": int(prof[i]), "neighbourhood": int(neigh[i])},
                service_items=extra[i::n],
                questions_this_year=per_topic[i],
                bundled_old=int(takeovers[i]),
                old_takeovers=int(takeovers[i]),
                center_households=int(counts["building_groups"][i] // 2),  # none published: a light share
                committee_eligible=int(eligible[i]),
                committees_formed=math.ceil(0.8 * eligible[i]),
            ),
        )
    return specs


def _topic_counts(seed: np.ndarray, rest: int) -> np.ndarray:
    """This year's questions the eleven districts add, topic by topic, so that exactly CITY_TARGETS'
    ``frequent_topics`` topics reach FREQUENT_TOPIC city-wide: the most frequent in the seed districts."""
    k = CITY_TARGETS["frequent_topics"]
    order = np.argsort(-seed, kind="stable")
    high, low = order[:k], order[k:]
    if (seed[low] >= FREQUENT_TOPIC).any():
        raise ValueError("the seed districts already raise more topics than the city's frequent ones")
    add = np.zeros(len(seed), dtype=int)
    add[high] = np.maximum(FREQUENT_TOPIC - seed[high], 0)
    add[low] = np.minimum(FREQUENT_TOPIC - 1 - seed[low], 8)
    left = rest - add.sum()
    if left < 0:
        raise ValueError("too few questions this year for the frequent topics")
    add[high] += allocate(left, 1 / np.arange(1, k + 1), minimum=0)
    return add
