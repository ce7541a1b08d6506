"""The demo's rows for the practices beyond the hierarchy (migration 0019): property fees, the house and
population registry, party members' responsibility zones, policy notices down the chain, and the micro-grid
layout before a reform.

Each draws from a random stream of its own (seeded by the district and a number), so that adding them leaves
every figure the rest of the generator reproduces as it was. Targets come from the district's spec:

- ``fee_lift``: the collection rate's rise in percentage points over two years (江汉区: 26);
- ``registry_entries``: houses and people entered (太和区: 91,000余);
- ``responsibility_zones``: 党员责任区 (太和区: 87);
- ``notices``: notices sent down the chain, with the delivery time before and after the reform (船山区);
- ``reform``: the micro-grid layout before the reform, its mean area and how much less it covered (船山区).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from data_access.demo.layout import allocate
from data_access.demo.names import person_names
from geo.measure import from_albers

FEE_YEARS = 5  # complete years of fees before the as-of year
NOTICE_TOPICS = ("防汛抢险", "森林防火", "安全生产", "医保参保", "疫苗接种", "惠民补贴", "燃气安全", "征兵宣传")
# Hours from one level to the next, before scaling: district → street → community → grid → micro-grid → households.
NOTICE_STEPS = {"street": 0.12, "community": 0.2, "grid": 0.25, "micro_grid": 0.33, "household": 0.6}


def _rng(builder, k: int) -> np.random.Generator:
    return np.random.default_rng([int(builder.code), 19, k])


def _days(rng, n: int, lo: date, hi: date) -> np.ndarray:
    """``n`` days from ``lo`` to ``hi`` (both included; never after ``hi``: on 1 January "this year" is one day) from
    the practice's own stream (not the builder's)."""
    return np.datetime64(lo) + rng.integers(0, max((hi - lo).days, 0) + 1, n).astype("timedelta64[D]")


def property_fees(b, companies: pd.DataFrame) -> pd.DataFrame:
    """Billed and collected per company-managed compound and complete year. Compounds that came under a company
    during those years (old compounds bundled, 组团打包) had none before; their rate rises after the takeover."""
    rng, comp = _rng(b, 1), b.compounds
    managed = comp[comp["property_company_id"].notna()].reset_index(drop=True)
    years = np.arange(b.as_of.year - FEE_YEARS, b.as_of.year)
    n = len(managed)
    takeover = np.full(n, years[0] - 1)  # managed by its company throughout
    old = (managed["type"] == "old").to_numpy()
    late = (managed["management_mode"] == "bundled").to_numpy() | (old & (rng.random(n) < 0.5))
    k = b.spec.get("targets", {}).get("old_takeovers")
    if k is not None:  # exactly k old compounds came under a company during these years
        if k > old.sum():
            raise ValueError(f"district {b.code}: {k} takeovers but only {old.sum()} managed old compounds")
        late = np.zeros(n, dtype=bool)
        late[rng.choice(np.flatnonzero(old), k, replace=False)] = True
    takeover[late] = rng.integers(years[0] + 1, years[-1] + 1, late.sum())
    fee = np.where(managed["type"] == "old", 600.0, 1500.0) * rng.uniform(0.85, 1.15, n)  # yuan a household a year
    lift = b.spec.get("targets", {}).get("fee_lift")
    base = rng.normal(0.72 if lift is None else 0.6, 0.06, n)
    rows = []
    for i, year in enumerate(years):
        trend = (lift / 100 / 2 if lift else 0.01) * max(0, i - (len(years) - 3))
        after = year >= takeover
        rate = np.clip(base + trend + np.where(after & late, 0.08, 0.0) + rng.normal(0, 0.03, n), 0.2, 0.99)
        billed = np.round(managed["households"].to_numpy() * fee * rng.uniform(0.97, 1.03, n), 2)
        rows.append(
            pd.DataFrame(
                {
                    "compound_code": managed["code"],
                    "year": year,
                    "company_id": pd.array(np.where(after, managed["property_company_id"], np.nan), dtype="Int64"),
                    "billed": billed,
                    "rate": rate,
                }
            )
        )
    fees = pd.concat(rows, ignore_index=True)
    if lift is not None:  # the published rise, exactly: scale the last year's rates
        last, before = years[-1], years[-3]

        def overall(y):
            f = fees[fees["year"] == y]
            return (f["billed"] * f["rate"]).sum() / f["billed"].sum()

        fees.loc[fees["year"] == last, "rate"] *= (overall(before) + lift / 100) / overall(last)
    fees["collected"] = np.round(fees["billed"] * np.clip(fees["rate"], 0, 1), 2)
    codes = managed.set_index("code")[["community_code", "street_code", "district_code"]]
    return fees.drop(columns="rate").join(codes, on="compound_code")


def housing_registry(b) -> pd.DataFrame:
    """实有房屋 and 实有人口 per compound and how many are entered; streets progress unevenly."""
    rng, comp = _rng(b, 2), b.compounds
    n = len(comp)
    houses = (comp["households"].to_numpy() * rng.uniform(1.0, 1.15, n)).astype(int)
    people = comp["residents"].fillna(comp["households"] * 2.6).to_numpy().astype(int)
    streets = comp["street_code"].unique()
    progress = dict(zip(streets, rng.beta(4, 1.5, len(streets))))
    share = np.clip(comp["street_code"].map(progress).to_numpy() + rng.normal(0, 0.08, n), 0, 1)
    target = b.spec.get("targets", {}).get("registry_entries")
    if target:  # the published count (…余): a little above it, in proportion to each compound's progress
        share = np.clip(share * target * 1.02 / (share * (houses + people)).sum(), 0, 1)
    return pd.DataFrame(
        {
            "compound_code": comp["code"],
            "houses": houses,
            "people": people,
            "houses_entered": np.floor(houses * share).astype(int),
            "people_entered": np.floor(people * share).astype(int),
            "updated_on": _days(rng, n, b.as_of - timedelta(days=90), b.as_of),
            "community_code": comp["community_code"],
            "street_code": comp["street_code"],
            "district_code": b.code,
        }
    )


def responsibility_zones(b, volunteers: pd.DataFrame) -> pd.DataFrame:
    """党员责任区: a compound's households (part of them) in the care of a party member of its community."""
    rng, comp = _rng(b, 3), b.compounds
    k = b.spec.get("targets", {}).get("responsibility_zones", max(1, len(comp) // 5))
    chosen = comp.iloc[np.sort(rng.choice(len(comp), k, replace=len(comp) < k))].reset_index(drop=True)
    members = volunteers[volunteers["kind"] != "resident"]
    by_comm = members.groupby("community_code")["id"].apply(np.asarray)
    member = [
        rng.choice(by_comm[c]) if c in by_comm.index else rng.choice(members["id"].to_numpy())
        for c in chosen["community_code"]
    ]
    return pd.DataFrame(
        {
            "code": [f"Z{b.code}{i:05d}" for i in range(1, k + 1)],
            "name": [f"{name}党员责任区" for name in chosen["name"]],
            "member_id": member,
            "compound_code": chosen["code"],
            "households": np.maximum(1, (chosen["households"] * rng.uniform(0.3, 0.7, k)).astype(int)),
            "set_up_on": _days(rng, k, date(2019, 1, 1), b.as_of),
            "community_code": chosen["community_code"],
            "street_code": chosen["street_code"],
            "district_code": b.code,
        }
    )


def _notice_rows(rng, notice_id: int, sent: datetime, units: dict[str, pd.DataFrame], hours: float) -> pd.DataFrame:
    """When one notice reached each unit: each level after its parent, scaled to ``hours`` to households."""
    scale = hours / sum(NOTICE_STEPS.values())
    reached: dict[str, pd.Series] = {}
    out = []
    parent_of = {"street": None, "community": "street", "grid": "community", "micro_grid": "grid"}
    for level, step in NOTICE_STEPS.items():
        df = units["micro_grid" if level == "household" else level]
        if level == "household":
            start = reached["micro_grid"].reindex(df["code"]).to_numpy()
        elif parent_of[level] is None:
            start = np.full(len(df), np.datetime64(sent))
        else:
            start = reached[parent_of[level]].reindex(df["parent"]).to_numpy()
        delay = rng.gamma(4, step * scale / 4, len(df)) * 3600
        at = start + (delay * 1e6).astype("timedelta64[us]")
        reached[level] = pd.Series(at, index=df["code"].to_numpy())
        out.append(pd.DataFrame({"notice_id": notice_id, "level": level, "unit_code": df["code"], "reached_at": at}))
    return pd.concat(out, ignore_index=True)


def notices(b, notice_ids: np.ndarray, micro: pd.DataFrame, old_micro: pd.DataFrame | None):
    """Notices sent down the chain; before the reform they reached the old micro-grids (or none, where there were
    none), at the spec's hours before and after. Returns (notices, deliveries)."""
    spec = b.spec["notices"]
    rng = _rng(b, 4)
    n = len(notice_ids)
    start = b.as_of - timedelta(days=365 * spec["years"])
    days = np.sort(rng.integers(0, (b.as_of - start).days, n))
    sent = [datetime.combine(start + timedelta(days=int(d)), datetime.min.time()) + timedelta(hours=9) for d in days]
    reform = reform_date(b)
    units = {
        "street": b.streets[["code"]],
        "community": b.communities[["code", "street_code"]].rename(columns={"street_code": "parent"}),
        "grid": b.grids[["code", "community_code"]].rename(columns={"community_code": "parent"}),
    }
    current = micro[["code", "grid_code"]].rename(columns={"grid_code": "parent"})
    old = None if old_micro is None else old_micro[["code", "grid_code"]].rename(columns={"grid_code": "parent"})
    rows = []
    for nid, at in zip(notice_ids, sent):
        before = reform is not None and at.date() < reform
        hours = spec["hours_before"] if before else spec["hours_after"]
        layer = old if before else current
        rows.append(_notice_rows(rng, int(nid), at, {**units, "micro_grid": layer}, hours))
    deliveries = pd.concat(rows, ignore_index=True)
    # The published time to households in the last 12 months, exactly: scale those notices' delays.
    recent = {int(i) for i, at in zip(notice_ids, sent) if at.date() > b.as_of - timedelta(days=365)}
    sent_of = pd.Series(np.array(sent, dtype="datetime64[us]"), index=notice_ids)
    delay = deliveries["reached_at"] - deliveries["notice_id"].map(sent_of)
    last = deliveries["notice_id"].isin(recent)
    mean_h = delay[last & (deliveries["level"] == "household")].dt.total_seconds().mean() / 3600
    deliveries.loc[last, "reached_at"] = deliveries.loc[last, "notice_id"].map(sent_of) + delay[last] * (
        spec["hours_after"] / mean_h
    )
    deliveries["reached_at"] = deliveries["reached_at"].dt.floor("s")
    code = deliveries["unit_code"]
    deliveries["district_code"] = b.code
    deliveries["street_code"] = code.str[:9]
    deliveries["community_code"] = np.where(code.str.len() >= 12, code.str[:12], None)
    topics = rng.choice(NOTICE_TOPICS, n)
    table = pd.DataFrame(
        {
            "id": notice_ids,
            "code": [f"N{b.code}{i:05d}" for i in notice_ids],
            "title": [f"关于做好{t}工作的通知" for t in topics],
            "topic": topics,
            "district_code": b.code,
            "sent_at": sent,
        }
    )
    return table, deliveries


def old_micro_grids(b, micro: pd.DataFrame, micro_albers: np.ndarray) -> tuple[pd.DataFrame, dict[str, str]]:
    """The micro-grid layout before the reform: fewer, larger units covering part of the grids the reform
    divided. Returns the old units (geometry in Albers, ``geom``) and each current micro-grid's old unit."""
    reform = b.spec["reform"]
    rng = _rng(b, 5)
    area = pd.Series(shapely.area(micro_albers) / 1e6, index=micro.index)
    by_grid = area.groupby(micro["grid_code"]).sum()
    covered = by_grid.sum() / (1 + reform["expansion"] / 100)  # the old layout's area
    order = rng.permutation(by_grid.index.to_numpy())
    running = by_grid[order].cumsum()
    chosen = list(order[: int(np.searchsorted(running.to_numpy(), covered)) + 1])
    old_area = by_grid[chosen].sum()
    # Trim to the published expansion: swap the last grid for the one whose area brings the total closest.
    rest = by_grid.drop(chosen)
    need = covered - (old_area - by_grid[chosen[-1]])
    chosen[-1] = (pd.concat([rest, by_grid[[chosen[-1]]]]) - need).abs().idxmin()
    old_area = by_grid[chosen].sum()
    n_old = int(round(old_area / reform["mean_area_km2"]))
    size = micro["grid_code"].value_counts()[chosen].to_numpy()  # an old unit is at least one of today's
    per_grid = np.minimum(allocate(n_old, by_grid[chosen].to_numpy()), size)
    while per_grid.sum() < n_old:  # what a grid could not take goes to the largest with room
        room = np.flatnonzero(per_grid < size)
        per_grid[room[np.argmax(by_grid[chosen].to_numpy()[room] / per_grid[room])]] += 1
    units, mapping = [], {}
    for grid, k in zip(chosen, per_grid):
        members = micro.index[micro["grid_code"] == grid]
        for j, part in enumerate(np.array_split(members.to_numpy(), k), start=1):
            code = f"{grid}{j:04d}"
            units.append(
                {
                    "code": code,
                    "grid_code": grid,
                    "name": f"{b.grids.set_index('code').loc[grid, 'name']}原{j}号微网格",
                    "households": int(micro.loc[part, "households"].sum()),
                    "geom": shapely.union_all(micro_albers[micro.index.get_indexer(part)]),
                }
            )
            mapping.update(dict.fromkeys(micro.loc[part, "code"], code))
    old = pd.DataFrame(units)
    old["community_code"] = old["grid_code"].str[:12]
    old["street_code"] = old["grid_code"].str[:9]
    old["district_code"] = b.code
    old["valid_to"] = reform_date(b)
    return old, mapping


def reform_date(b) -> date | None:
    """The day the district's reform took effect (its spec: days before the as-of date), or None."""
    reform = b.spec.get("reform")
    return None if reform is None else b.as_of - timedelta(days=reform["days_before"])


PROJECT_WORKS = (
    "加装电梯",
    "老旧小区微改造",
    "口袋公园建设",
    "社区食堂",
    "新能源车充电桩",
    "停车位改造",
    "适老化改造",
    "路灯维修",
    "垃圾分类亭",
    "文化长廊",
    "儿童游乐场",
    "雨污分流",
    "屋面防水",
    "健身步道",
    "便民菜店",
    "共享工具屋",
)
SERVICE_CATALOGUE = {
    "social_security": ("社保卡申领", "养老保险参保登记", "医保参保登记", "灵活就业社保缴费", "退休人员资格认证"),
    "civil_affairs": ("高龄津贴申请", "最低生活保障申请受理", "残疾人证办理", "临时救助申请", "婚姻登记预约"),
    "health": ("家庭医生签约", "慢性病随访", "预防接种预约", "居民健康档案查询", "母子健康手册办理"),
    "housing": ("公共租赁住房申请", "住房公积金查询", "加装电梯申请", "物业维修资金查询", "房屋安全鉴定申请"),
    "employment": ("就业登记", "失业登记", "职业技能培训报名", "创业担保贷款申请", "公益性岗位申请"),
    "elderly": ("老年人助餐", "居家养老上门服务", "老年人优待证办理", "长期护理保险申请", "适老化改造申请"),
    "other": ("居住证办理", "法律咨询", "人民调解申请", "开具居住证明", "流动人口登记", "志愿服务证明"),
}
QUESTION_TOPICS = (
    "停车难",
    "加装电梯",
    "噪音扰民",
    "垃圾清运",
    "路灯不亮",
    "下水道堵塞",
    "小区绿化",
    "物业服务",
    "老年人助餐",
    "电动车充电",
    "外墙脱落",
    "违章搭建",
    "宠物管理",
    "健身设施",
    "房屋漏水",
    "消防通道占用",
    "快递收发",
    "农贸市场",
    "子女入学",
    "公交线路",
    "高空抛物",
    "油烟扰民",
    "二次供水",
    "道路破损",
)


def projects(b, partners: pd.DataFrame) -> pd.DataFrame:
    """共建项目 with partner units and 共同缔造实事项目 with residents: about one of each per community a year."""
    rng, cm, t = _rng(b, 6), b.communities, b.spec.get("targets", {})
    start = b.as_of - timedelta(days=3 * 365)
    if "joint_projects" in t:  # exact: 共建项目 in all, and 共同缔造实事项目 started this year (and as many before)
        jan1 = date(b.as_of.year, 1, 1)
        n_joint, n_now = t["joint_projects"], t["co_creation_this_year"]
        kind = np.array(["joint"] * n_joint + ["co_creation"] * 2 * n_now)
        started = np.concatenate(
            [
                _days(rng, n_joint, start, b.as_of),
                _days(rng, n_now, jan1, b.as_of),
                _days(rng, n_now, start, jan1 - timedelta(days=1)),
            ]
        )
        comm = rng.choice(cm["code"].to_numpy(), len(kind))
    else:
        n = rng.poisson(2.2 * len(cm) * 3)
        comm = rng.choice(cm["code"].to_numpy(), n)
        kind = np.where(rng.random(n) < 0.6, "joint", "co_creation")
        started = _days(rng, n, start, b.as_of)
    n = len(kind)
    age = (np.datetime64(b.as_of) - started).astype(int)
    duration = rng.gamma(2.5, 60, n).astype(int)
    done = duration < age
    status = np.where(done, "done", np.where(rng.random(n) < 0.8, "in_progress", "planned"))
    by_comm = partners.groupby("community_code")["id"].apply(np.asarray)
    partner = [
        rng.choice(by_comm[c])
        if k == "joint" and c in by_comm.index
        else (rng.choice(partners["id"]) if k == "joint" else None)
        for c, k in zip(comm, kind)
    ]
    names = dict(zip(cm["code"], cm["name"]))
    works = rng.choice(PROJECT_WORKS, n)
    return pd.DataFrame(
        {
            "code": [f"J{b.code}{i:06d}" for i in range(1, n + 1)],
            "name": [f"{names[c]}{w}" for c, w in zip(comm, works)],
            "kind": kind,
            "partner_unit_id": pd.array(partner, dtype="Int64"),
            "status": status,
            "started_on": started,
            "finished_on": np.where(done, started + duration.astype("timedelta64[D]"), np.datetime64("NaT")),
            "community_code": comm,
            "street_code": pd.Series(comm).str[:9],
            "district_code": b.code,
        }
    )


# A city's fuller list (武汉市: 694 items): what a service is, and what can be done about it nearby.
SERVICE_SUBJECTS = {
    "social_security": ("养老保险", "医疗保险", "失业保险", "工伤保险", "生育保险", "社会保障卡", "城乡居民医保",
                        "退休待遇", "被征地农民社保", "大病保险"),
    "civil_affairs": ("低保", "特困供养", "临时救助", "残疾人补贴", "高龄津贴", "殡葬补贴", "婚姻登记", "收养登记",
                      "孤儿基本生活费", "困境儿童保障", "社会组织登记"),
    "health": ("家庭医生签约", "预防接种", "母婴保健", "计划生育奖励", "独生子女父母奖励", "慢病管理", "健康体检",
               "出生医学证明", "心理健康服务", "健康档案"),
    "housing": ("公共租赁住房", "住房公积金", "住房维修资金", "房屋租赁备案", "加装电梯", "不动产登记", "燃气开户",
                "水电过户", "老旧小区改造", "物业纠纷"),
    "employment": ("就业登记", "失业登记", "职业技能培训", "创业补贴", "灵活就业", "公益性岗位", "就业困难人员认定",
                   "劳动争议", "人才引进"),
    "elderly": ("养老服务补贴", "老年人优待证", "居家养老服务", "长期护理保险", "老年助餐", "适老化改造",
                "老年人能力评估", "家庭养老床位"),
    "other": ("居住证", "户籍", "流动人口", "法律援助", "人民调解", "退役军人优待", "志愿服务", "学生资助", "犬只登记",
              "消防安全", "个体工商户", "门前三包", "文化场馆预约", "城市管理"),
}  # fmt: skip
SERVICE_ACTIONS = ("申请", "变更", "查询", "补办", "注销", "资格认证", "证明开具", "政策咨询", "材料预审", "进度查询")


def city_service_catalogue() -> list[tuple[str, str]]:
    """The fuller list a big city's communities draw on: the base catalogue first, then subject × action."""
    base = [(name, cat) for cat, names in SERVICE_CATALOGUE.items() for name in names]
    seen = {name for name, _ in base}
    more = [(subj + act, cat) for act in SERVICE_ACTIONS for cat, subjs in SERVICE_SUBJECTS.items() for subj in subjs]
    return base + [(name, cat) for name, cat in more if name not in seen and not seen.add(name)]


def service_items(b, stations: pd.DataFrame) -> pd.DataFrame:
    """Each community's list of items residents can have done nearby: 15–30 of the catalogue (or the spec's
    ``service_items_per_community``), each at a station of the community (when it has one) or at the community
    office. With the target ``service_items`` (names), the district draws on the city's fuller list and offers
    each of those names somewhere."""
    rng, cm = _rng(b, 7), b.communities
    must = b.spec.get("targets", {}).get("service_items")
    if must is None:
        catalogue = [(name, cat) for cat, names in SERVICE_CATALOGUE.items() for name in names]
    else:
        keep = {name for names in SERVICE_CATALOGUE.values() for name in names} | set(must)
        catalogue = [(n, c) for n, c in city_service_catalogue() if n in keep]
    index = {name: i for i, (name, _) in enumerate(catalogue)}
    at = stations.groupby("community_code")["id"].apply(np.asarray)
    codes = cm["code"].to_numpy()
    assigned = {code: [] for code in codes}
    for j, name in enumerate(must or []):  # each named item in some community, round the district
        assigned[codes[j % len(codes)]].append(index[name])
    rows = []
    for code in codes:
        k = int(rng.integers(*b.spec.get("service_items_per_community", (15, 31))))
        draw = [i for i in rng.choice(len(catalogue), k, replace=False) if i not in assigned[code]]
        for i in assigned[code] + draw:
            here = at.get(code)
            rows.append(
                (code, *catalogue[i], int(rng.choice(here)) if here is not None and rng.random() < 0.7 else None)
            )
    df = pd.DataFrame(rows, columns=["community_code", "name", "category", "station_id"])
    df["station_id"] = df["station_id"].astype("Int64")
    df["since"] = _days(rng, len(df), date(2019, 1, 1), b.as_of)
    df["street_code"] = df["community_code"].str[:9]
    df["district_code"] = b.code
    return df


def community_residents(b, comm: pd.DataFrame) -> np.ndarray:
    """常住人口 per community; with the target ``residents``, scaled to that district total."""
    rng = _rng(b, 9)
    village = (comm["kind"] == "village").to_numpy()
    people = np.where(village, rng.uniform(1500, 4500, len(comm)), rng.uniform(5000, 13000, len(comm)))
    total = b.spec.get("targets", {}).get("residents")
    if total is not None:
        return allocate(total, people, minimum=0)
    return people.astype(int)


def community_workers(b) -> pd.DataFrame:
    """社区工作者 at each community office, about 18 per 10,000 residents; with the target ``community_workers``,
    exactly that many in the district."""
    rng, cm = _rng(b, 10), b.communities
    want = cm["residents"].to_numpy() * 18 / 10000 * rng.uniform(0.85, 1.15, len(cm))
    total = b.spec.get("targets", {}).get("community_workers")
    per = allocate(total, want, minimum=0) if total is not None else np.maximum(1, np.round(want)).astype(int)
    idx = np.repeat(np.arange(len(cm)), per)
    n = len(idx)
    at = shapely.point_on_surface(from_albers(cm["geom"].to_numpy()))
    return pd.DataFrame(
        {
            "code": [f"W{b.code}C{i:05d}" for i in range(1, n + 1)],
            "name": person_names(rng, n),
            "role": "community_worker",
            "community_code": cm["code"].to_numpy()[idx],
            "street_code": cm["street_code"].to_numpy()[idx],
            "district_code": b.code,
            "lon": shapely.get_x(at)[idx],
            "lat": shapely.get_y(at)[idx],
            "party_member": rng.random(n) < 0.6,
            "joined_on": _days(rng, n, date(2012, 1, 1), b.as_of - timedelta(days=30)),
            "commended": False,
        }
    )


def resident_questions(b) -> pd.DataFrame:
    """Questions residents raised over two years (about one a month per community), a few topics far more often
    than the rest; most answered or resolved within weeks."""
    rng, cm = _rng(b, 8), b.communities
    start = b.as_of - timedelta(days=2 * 365)
    weights = 1 / np.arange(1, len(QUESTION_TOPICS) + 1) ** 1.1
    per_topic = b.spec.get("targets", {}).get("questions_this_year")  # exact counts this year, topic by topic
    if per_topic is not None:
        jan1 = date(b.as_of.year, 1, 1)
        topics = np.repeat(np.array(QUESTION_TOPICS), per_topic)
        k = len(topics)
        topics = np.concatenate([topics, rng.choice(QUESTION_TOPICS, k, p=weights / weights.sum())])
        raised = np.concatenate([_days(rng, k, jan1, b.as_of), _days(rng, k, start, jan1 - timedelta(days=1))])
        n = len(topics)
        comm = rng.choice(cm["code"].to_numpy(), n)
    else:
        n = rng.poisson(len(cm) * 24 * b.spec.get("question_rate", 0.5))
        comm = rng.choice(cm["code"].to_numpy(), n)
        raised = _days(rng, n, start, b.as_of)
    wait = rng.gamma(1.5, 12, n).astype(int)
    answered = raised + wait.astype("timedelta64[D]")
    open_ = answered > np.datetime64(b.as_of)
    status = np.where(open_, "collected", np.where(rng.random(n) < 0.78, "resolved", "answering"))
    return pd.DataFrame(
        {
            "code": [f"Q{b.code}{i:06d}" for i in range(1, n + 1)],
            "topic": topics if per_topic is not None else rng.choice(QUESTION_TOPICS, n, p=weights / weights.sum()),
            "channel": rng.choice(["door_to_door", "meeting", "online", "hotline"], n, p=[0.4, 0.25, 0.25, 0.1]),
            "status": status,
            "raised_on": raised,
            "answered_on": np.where(open_, np.datetime64("NaT"), answered),
            "community_code": comm,
            "street_code": pd.Series(comm).str[:9],
            "district_code": b.code,
        }
    )
