"""What each importable kind of file holds: columns with Chinese headers, English aliases, types.

A column's ``type`` is one of text, code, int, float, bool, date, datetime, enum. Enumerations
accept the stored English value or its Chinese label. Boundary kinds (``layer=True``) are vector
files (GeoJSON, Shapefile, GeoPackage) whose attribute table has these columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from data_access import schema


@dataclass(frozen=True)
class Column:
    name: str  # the table column (or a reference resolved at load, such as team_code)
    zh: str  # the template's Chinese header
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # Chinese label → stored value (enums)
    min: float | None = None
    max: float | None = None
    digits: tuple[int, int] | None = None  # a hierarchy code: digits from..to

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.zh, self.name, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    key: tuple[str, ...]  # natural key (upsert on it)
    columns: tuple[Column, ...]
    located: bool = False  # rows may carry lon/lat; missing hierarchy codes are derived from them
    layer: bool = False  # a vector file of polygons
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column → stored values
    stored_key: tuple[str, ...] = ()  # the key rows are upserted on when it is not the file's (derived at load)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def upsert_key(self) -> tuple[str, ...]:
        return self.stored_key or self.key

    @property
    def key_label(self) -> str:
        return "/".join(self.column(k).zh for k in self.key)


STATION_TYPES = {
    "党群服务中心": "party_center",
    "小区党群服务驿站": "compound_station",
    "党群服务站": "compound_station",
    "党群驿站": "compound_station",
    "便民服务点": "convenience_point",
    "便民服务阵地": "convenience_point",
    "积分超市": "points_store",
    "邻里中心": "neighbourhood_center",
}
CONSTRUCTION = {"新建": "new", "改扩建": "renovated", "共建共享": "shared", "原有": "existing"}
SOURCES = {
    "网格巡查": "grid_patrol",
    "居民诉求": "resident_request",
    "群众点单": "resident_order",
    "12345热线": "hotline",
    "热线": "hotline",
    "无人机/AI": "drone_ai",
    "无人机": "drone_ai",
    "走访入户": "visit",
    "走访": "visit",
    "红色管家": "property_steward",
    "信访接访": "petition",
    "信访": "petition",
}
ESCALATION = {"小区": "compound", "社区": "community", "街道": "street", "区直部门": "district", "区": "district"}
SATISFACTION = {
    "满意": "satisfied",
    "非常满意": "satisfied",
    "基本满意": "basically_satisfied",
    "一般": "basically_satisfied",
    "不满意": "dissatisfied",
    "非常不满意": "dissatisfied",
}
STREET_KINDS = {"街道": "street", "镇": "town", "乡": "town"}
COMMUNITY_KINDS = {"社区": "community", "村": "village", "行政村": "village"}
COMPOUND_TYPES = {
    "商品房小区": "commercial",
    "商品房": "commercial",
    "老旧小区": "old",
    "安置小区": "resettlement",
    "保障房小区": "affordable",
    "保障房": "affordable",
    "无物业小区": "unmanaged",
}
MANAGEMENT = {
    "专业物业": "professional",
    "打包托管": "bundled",
    "社区托管": "community_managed",
    "居民自治": "self_managed",
    "无物业": "none",
}
WORKER_ROLES = {
    "专职网格员": "full_time",
    "兼职网格员": "part_time",
    "专属网格员": "dedicated",
    "微网格员": "micro_grid",
    "楼栋长": "building_head",
    "网格长": "grid_leader",
    "下沉干部": "sunk_staff",
    "社区工作者": "community_worker",
}
VOLUNTEER_KINDS = {"居民": "resident", "党员": "party_member", "在职党员": "in_service_party_member"}
ACTIVITY_TYPES = {
    "助老扶幼": "elderly_care",
    "文明劝导": "civility",
    "治安巡逻": "patrol",
    "普法宣传": "legal",
    "矛盾调解": "mediation",
    "文体活动": "culture",
    "疫情防控": "epidemic",
    "助老": "elderly_care",
    "文明实践": "civility",
    "环境整治": "environment",
    "巡逻": "patrol",
    "义诊": "medical",
    "法律服务": "legal",
    "调解": "mediation",
    "文化": "culture",
    "防疫": "epidemic",
}
PARTY_FORMS = {"党支部": "branch", "党建指导员": "instructor", "无": "none"}
COMMITTEE_KINDS = {"业委会": "owners_committee", "业主委员会": "owners_committee", "物管会": "management_committee"}
PARTY_LEVELS = {
    "街道党工委": "street_committee",
    "社区党委": "community_committee",
    "社区党组织": "community_committee",
    "党支部": "branch",
    "楼栋党小组": "building_group",
    "党小组": "building_group",
    "党员中心户": "center_household",
}
BRANCH_KINDS = {"小区": "compound", "小区党支部": "compound", "网格": "grid", "网格党支部": "grid", "区域": "area"}
LIMIT_UNITS = {"小时": "hours", "工作日": "working_days", "个工作日": "working_days", "自然日": "calendar_days"}
SECRETARY = {
    "退休干部": "retired_cadre",
    "社区工作者": "community_worker",
    "在职党员": "in_service_member",
    "居民党员": "resident_member",
    "其他": "other",
}


def _community(required: bool = False) -> Column:
    return Column(
        "community_code", "社区代码", "code", required, ("社区编码", "community", "comm_code"), digits=(12, 12)
    )


_LON = Column("lon", "经度", "float", aliases=("longitude", "lng", "x"), min=-180, max=180)
_LAT = Column("lat", "纬度", "float", aliases=("latitude", "y"), min=-90, max=90)
_REQUIRED_LONLAT = (
    Column("lon", "经度", "float", True, _LON.aliases, min=-180, max=180),
    Column("lat", "纬度", "float", True, _LAT.aliases, min=-90, max=90),
)
_NAME = Column("name", "名称", "text", True, ("名字", "name_zh", "mc"))


def _unit_code(digits: tuple[int, int], zh: str) -> Column:
    return Column("code", zh, "code", True, ("代码", "编码", "code", "dm", "adcode"), digits=digits)


KINDS: dict[str, Kind] = {}


def _add(kind: Kind) -> None:
    KINDS[kind.name] = kind


# Boundaries (vector files). The parent is the code's prefix; its geometry must contain the unit.
_add(
    Kind(
        "districts",
        "district",
        ("code",),
        (
            _unit_code((6, 6), "区划代码"),
            _NAME,
            Column("city_code", "城市代码", "code", aliases=("city",), digits=(6, 6)),
            Column("city_name", "城市名称", "text", aliases=("city_name_zh",)),
            Column("province", "省份", "text", aliases=("province_name",)),
        ),
        layer=True,
    )
)
_add(
    Kind(
        "streets",
        "street",
        ("code",),
        (
            _unit_code((9, 9), "街道代码"),
            _NAME,
            Column("kind", "类型", "enum", aliases=("街镇类型",), labels=STREET_KINDS),
        ),
        layer=True,
        enums={"kind": schema.STREET_KINDS},
    )
)
_add(
    Kind(
        "communities",
        "community",
        ("code",),
        (
            _unit_code((12, 12), "社区代码"),
            _NAME,
            Column("kind", "类型", "enum", aliases=("社区类型",), labels=COMMUNITY_KINDS),
            Column("residents", "常住人口", "int", aliases=("residents",), min=0, max=2_000_000),
        ),
        layer=True,
        enums={"kind": schema.COMMUNITY_KINDS},
    )
)
# A layout's period (a re-division keeps the old units): 停用日期 ends a unit, 启用日期 starts its successor.
_VALIDITY = (
    Column("valid_from", "启用日期", "date", aliases=("valid_from",)),
    Column("valid_to", "停用日期", "date", aliases=("valid_to",)),
)
_add(Kind("grids", "grid", ("code",), (_unit_code((15, 15), "网格代码"), _NAME, *_VALIDITY), layer=True))
_add(
    Kind(
        "micro-grids",
        "micro_grid",
        ("code",),
        (
            _unit_code((17, 20), "微网格代码"),
            _NAME,
            Column("households", "户数", "int", aliases=("hh",), min=0, max=100_000),
            *_VALIDITY,
        ),
        layer=True,
    )
)
_add(
    Kind(
        "compounds",
        "compound",
        ("code",),
        (
            Column("code", "小区编码", "code", True, ("编码", "code", "xqbm")),
            Column("name", "小区名称", "text", True, ("名称", "name")),
            _community(),
            Column("type", "小区类型", "enum", True, ("类型",), labels=COMPOUND_TYPES),
            Column("households", "户数", "int", True, ("hh",), min=0, max=100_000),
            Column("residents", "人口", "int", aliases=("居民人数",), min=0, max=1_000_000),
            Column("buildings", "楼栋数", "int", aliases=("楼栋",), min=0, max=10_000),
            Column("management_mode", "管理方式", "enum", True, ("物业管理方式", "mgmt"), labels=MANAGEMENT),
            Column("property_company_code", "物业企业代码", "code", aliases=("物业企业", "company_code")),
            Column("committee_eligible", "具备成立业委会条件", "bool", aliases=("eligible",)),
            Column("weak", "薄弱小区", "bool"),
            Column("renovated_year", "改造年份", "int", aliases=("renovated",), min=1990, max=2100),
        ),
        layer=True,
        enums={"type": schema.COMPOUND_TYPES, "management_mode": schema.MANAGEMENT_MODES},
    )
)

# Tables (CSV, Excel).
_add(
    Kind(
        "stations",
        "service_station",
        ("code",),
        (
            Column("code", "阵地编码", "text", True, ("编码", "station_code")),
            Column("name", "名称", "text", True, ("阵地名称", "station_name")),
            Column("type", "类型", "enum", True, ("阵地类型",), labels=STATION_TYPES),
            _community(),
            *_REQUIRED_LONLAT,
            Column("opened_on", "启用日期", "date", True, ("opened", "开放日期")),
            Column("floor_area_m2", "面积(平方米)", "float", aliases=("面积", "floor_area"), min=0.1, max=100_000),
            Column("construction", "建设方式", "enum", labels=CONSTRUCTION),
            Column("services", "服务内容", "text", aliases=("服务项目",)),
        ),
        located=True,
        enums={"type": schema.STATION_TYPES, "construction": schema.CONSTRUCTION_KINDS},
    )
)
_add(
    Kind(
        "issues",
        "issue",
        ("code",),
        (
            Column("code", "工单编号", "text", True, ("工单号", "事件编号", "order_no")),
            Column("source_channel", "来源渠道", "enum", aliases=("来源", "source"), labels=SOURCES),
            # A category by its level-3 code, or by its name or path (市容环境>市容秩序>占道经营) — one of the two.
            Column("category_code", "事件分类代码", "code", aliases=("分类代码", "category")),
            Column(
                "category_name",
                "事件分类",
                "text",
                aliases=("诉求类型", "问题类型", "事件类型", "分类", "诉求分类", "category_name"),
            ),
            # A place by its point, else by codes, else by names (within the district: --district, or its column).
            Column("district_code", "区代码", "code", aliases=("区划代码", "district"), digits=(6, 6)),
            Column("district_name", "所属区", "text", aliases=("区", "区县", "所属区县", "district_name")),
            Column("street_code", "街道代码", "code", aliases=("街道编码", "street"), digits=(9, 9)),
            Column("street_name", "所属街道", "text", aliases=("街道", "街道(乡镇)", "街道（乡镇）", "street_name")),
            _community(),
            Column("community_name", "所属社区", "text", aliases=("社区", "社区(村)", "社区（村）", "community_name")),
            _LON,
            _LAT,
            Column("address", "详细地址", "text", aliases=("事发地址", "地址", "address")),
            Column("request_text", "诉求内容", "text", aliases=("问题描述", "事件描述", "request", "description")),
            Column("reported_at", "上报时间", "datetime", aliases=("来电时间", "登记时间", "reported")),
            Column("accepted_at", "受理时间", "datetime", aliases=("accepted",)),
            Column("registered_at", "立案时间", "datetime", aliases=("registered",)),
            Column("dispatched_at", "派遣时间", "datetime", aliases=("dispatched",)),
            Column("handled_at", "处置时间", "datetime", aliases=("handled",)),
            Column("verified_at", "核查时间", "datetime", aliases=("verified",)),
            Column("closed_at", "结案时间", "datetime", aliases=("办结时间", "closed")),
            Column("evaluated_at", "评价时间", "datetime", aliases=("回访时间", "evaluated")),
            Column("due_at", "办理时限", "datetime", aliases=("deadline", "due")),
            Column("escalation_level", "解决层级", "enum", aliases=("escalation",), labels=ESCALATION),
            Column("satisfaction", "满意度", "enum", aliases=("回访满意度", "满意度评价"), labels=SATISFACTION),
            Column("resolved", "是否解决", "bool", aliases=("resolved", "解决情况")),
            Column("department_code", "承办单位代码", "text", aliases=("department", "责任单位代码")),
            Column("department_name", "承办单位", "text", aliases=("责任单位", "处置部门", "department_name")),
            Column("returned_count", "回退次数", "int", aliases=("回退",), min=0, max=1000),
            Column("extended_count", "延期次数", "int", aliases=("延期",), min=0, max=1000),
            Column("reworked_count", "返工次数", "int", aliases=("返工",), min=0, max=1000),
            Column("reporter_code", "上报人编号", "text", aliases=("reporter", "网格员编号")),
        ),
        located=True,
        enums={
            "source_channel": schema.SOURCE_CHANNELS,
            "escalation_level": schema.ESCALATION_LEVELS,
            "satisfaction": schema.SATISFACTION,
        },
    )
)
# A district's own category tree: one row per level-3 category with its path, its code and its time limits.
# The stored category is found by its path (shared between districts) or added; see load._resolve_categories.
_add(
    Kind(
        "categories",
        "district_category",
        ("district_code", "source_code"),
        (
            Column("district_code", "区划代码", "code", aliases=("区代码", "district"), digits=(6, 6)),
            Column("l1_name", "一级分类", "text", True, ("大类", "一级分类名称")),
            Column("l2_name", "二级分类", "text", True, ("中类", "二级分类名称")),
            Column("name", "三级分类", "text", True, ("小类", "三级分类名称", "分类名称")),
            Column("source_code", "分类代码", "text", aliases=("三级分类代码", "编码", "code")),
            Column("time_limit", "办理时限", "int", True, ("处置时限", "时限"), min=1, max=10_000),
            Column("time_limit_unit", "时限单位", "enum", True, ("单位",), labels=LIMIT_UNITS),
            Column(
                "accept_limit_hours",
                "受理时限",
                "float",
                aliases=("受理时限（小时）", "受理时限(小时)"),
                min=0.1,
                max=720,
            ),
        ),
        enums={"time_limit_unit": schema.LIMIT_UNITS},
        stored_key=("district_code", "code"),
    )
)
_add(
    Kind(
        "grid-workers",
        "grid_worker",
        ("code",),
        (
            Column("code", "人员编号", "text", True, ("编号", "worker_code")),
            Column("name", "姓名", "text", True, ("名字", "name")),
            Column("role", "岗位", "enum", True, ("角色",), labels=WORKER_ROLES),
            Column("party_member", "是否党员", "bool", True, ("党员",)),
            _community(),
            Column("grid_code", "网格代码", "code", aliases=("网格编码", "grid"), digits=(15, 15)),
            Column("micro_grid_code", "微网格代码", "code", aliases=("微网格编码", "micro_grid"), digits=(17, 20)),
            _LON,
            _LAT,
            Column("monthly_allowance", "月补贴(元)", "float", aliases=("补贴", "allowance"), min=0, max=100_000),
            Column("joined_on", "入职日期", "date", True, ("joined", "上岗日期")),
            Column("left_on", "离职日期", "date", aliases=("left",)),
            Column("commended", "受表彰", "bool", aliases=("表彰",)),
        ),
        located=True,
        enums={"role": schema.WORKER_ROLES},
    )
)
_add(
    Kind(
        "volunteers",
        "volunteer",
        ("code",),
        (
            Column("code", "志愿者编号", "text", True, ("编号", "volunteer_code")),
            Column("name", "姓名", "text", True, ("名字", "name")),
            Column("kind", "身份", "enum", True, ("类型", "volunteer_kind"), labels=VOLUNTEER_KINDS),
            Column("team_code", "队伍编码", "text", aliases=("志愿队伍编码", "team")),
            _community(required=True),
            Column("registered_on", "注册日期", "date", True, ("registered",)),
        ),
        enums={"kind": schema.VOLUNTEER_KINDS},
    )
)
_add(
    Kind(
        "activities",
        "volunteer_activity",
        ("code",),
        (
            Column("code", "记录编号", "text", True, ("编号", "record_code")),
            Column("volunteer_code", "志愿者编号", "text", True, ("志愿者", "volunteer")),
            Column("team_code", "队伍编码", "text", aliases=("志愿队伍编码", "team")),
            _community(),
            Column("activity_date", "服务日期", "date", True, ("日期", "date")),
            Column("activity_type", "服务类型", "enum", True, ("类型", "type"), labels=ACTIVITY_TYPES),
            Column("hours", "服务时长(小时)", "float", True, ("时长", "小时"), min=0.1, max=24),
            Column("points", "积分", "int", aliases=("points_earned",), min=0, max=100_000),
        ),
        enums={"activity_type": schema.ACTIVITY_TYPES},
    )
)
_add(
    Kind(
        "property-companies",
        "property_company",
        ("code",),
        (
            Column("code", "统一社会信用代码", "code", True, ("信用代码", "credit_code")),
            Column("name", "企业名称", "text", True, ("名称", "name")),
            Column("district_code", "区代码", "code", True, ("区划代码", "district"), digits=(6, 6)),
            Column("party_org_form", "党组织形式", "enum", aliases=("党建形式",), labels=PARTY_FORMS),
            Column("cross_appointments", "交叉任职人数", "int", aliases=("交叉任职",), min=0, max=10_000),
            Column("state_owned", "是否国企", "bool", aliases=("国企",)),
        ),
        enums={"party_org_form": schema.PROPERTY_PARTY_FORMS},
    )
)
_add(
    Kind(
        "owners-committees",
        "owners_committee",
        ("compound_code", "kind"),
        (
            Column("compound_code", "小区编码", "code", True, ("小区", "compound")),
            Column("kind", "组织类型", "enum", aliases=("类型",), labels=COMMITTEE_KINDS),
            Column("formed_on", "成立日期", "date", True, ("formed",)),
            Column("members", "委员人数", "int", True, ("人数",), min=1, max=1_000),
            Column("party_members", "党员人数", "int", True, ("党员",), min=0, max=1_000),
            Column("chair_is_party_member", "主任是否党员", "bool", True, ("chair_party_member",)),
        ),
        enums={"kind": schema.COMMITTEE_KINDS},
    )
)
_add(
    Kind(
        "property-fees",
        "property_fee",
        ("compound_code", "year"),
        (
            Column("compound_code", "小区编码", "code", True, ("小区", "compound")),
            Column("year", "年度", "int", True, ("年份", "year"), min=2000, max=2100),
            Column("billed", "应收物业费(元)", "float", True, ("应收", "billed"), min=0, max=1e10),
            Column("collected", "实收物业费(元)", "float", True, ("实收", "collected"), min=0, max=1e10),
            Column("property_company_code", "物业企业代码", "code", aliases=("物业企业", "company_code")),
        ),
    )
)
_add(
    Kind(
        "housing-registry",
        "housing_registry",
        ("compound_code",),
        (
            Column("compound_code", "小区编码", "code", True, ("小区", "compound")),
            Column("houses", "实有房屋(套)", "int", True, ("实有房屋", "houses"), min=0, max=1_000_000),
            Column("people", "实有人口(人)", "int", True, ("实有人口", "people"), min=0, max=10_000_000),
            Column("houses_entered", "已录入房屋(套)", "int", True, ("已录入房屋",), min=0, max=1_000_000),
            Column("people_entered", "已录入人口(人)", "int", True, ("已录入人口",), min=0, max=10_000_000),
            Column("updated_on", "更新日期", "date", True, ("updated",)),
        ),
    )
)
PROJECT_KINDS = {"结对共建": "joint", "共建项目": "joint", "共同缔造": "co_creation", "共同缔造实事项目": "co_creation"}
PROJECT_STATUSES = {"计划中": "planned", "实施中": "in_progress", "已完成": "done"}
SERVICE_CATEGORIES = {
    "社会保障": "social_security",
    "民政救助": "civil_affairs",
    "医疗卫生": "health",
    "住房物业": "housing",
    "就业创业": "employment",
    "养老服务": "elderly",
    "其他": "other",
}
QUESTION_CHANNELS = {"入户走访": "door_to_door", "议事会": "meeting", "线上": "online", "热线": "hotline"}
QUESTION_STATUSES = {"待答复": "collected", "已答复": "answering", "已解决": "resolved"}
_add(
    Kind(
        "partner-units",
        "partner_unit",
        ("district_code", "name"),
        (
            Column("name", "单位名称", "text", True, ("共建单位", "结对单位", "unit")),
            _community(),
            Column("district_code", "区代码", "code", aliases=("区划代码", "district"), digits=(6, 6)),
            Column("paired_on", "结对日期", "date", aliases=("paired",)),
        ),
    )
)
_add(
    Kind(
        "projects",
        "joint_project",
        ("code",),
        (
            Column("code", "项目编号", "text", True, ("编号", "project_code")),
            Column("name", "项目名称", "text", True, ("名称", "project")),
            Column("kind", "项目类型", "enum", True, ("类型",), labels=PROJECT_KINDS),
            Column("partner", "共建单位", "text", aliases=("结对单位", "partner_unit")),
            _community(True),
            Column("status", "状态", "enum", True, ("进度",), labels=PROJECT_STATUSES),
            Column("started_on", "启动日期", "date", True, ("started",)),
            Column("finished_on", "完成日期", "date", aliases=("finished",)),
        ),
        enums={"kind": schema.PROJECT_KINDS, "status": schema.PROJECT_STATUSES},
    )
)
_add(
    Kind(
        "service-items",
        "service_item",
        ("community_code", "name"),
        (
            Column("name", "事项名称", "text", True, ("事项", "item")),
            Column("category", "事项类别", "enum", True, ("类别",), labels=SERVICE_CATEGORIES),
            _community(True),
            Column("station_code", "办理阵地编码", "text", aliases=("阵地编码", "station")),
            Column("since", "开办日期", "date", True, ("since",)),
        ),
        enums={"category": schema.SERVICE_CATEGORIES},
    )
)
_add(
    Kind(
        "questions",
        "resident_question",
        ("code",),
        (
            Column("code", "问题编号", "text", True, ("编号", "question_code")),
            Column("topic", "问题", "text", True, ("关心问题", "topic")),
            Column("channel", "征集方式", "enum", True, ("方式",), labels=QUESTION_CHANNELS),
            _community(True),
            Column("status", "办理状态", "enum", True, ("状态",), labels=QUESTION_STATUSES),
            Column("raised_on", "征集日期", "date", True, ("raised",)),
            Column("answered_on", "答复日期", "date", aliases=("answered",)),
        ),
        enums={"channel": schema.QUESTION_CHANNELS, "status": schema.QUESTION_STATUSES},
    )
)
_add(
    Kind(
        "party-orgs",
        "party_org",
        ("code",),
        (
            Column("code", "组织编码", "text", True, ("编码", "org_code")),
            Column("name", "组织名称", "text", True, ("名称", "name")),
            Column("level", "层级", "enum", True, ("组织层级",), labels=PARTY_LEVELS),
            Column("branch_kind", "支部类型", "enum", aliases=("branch",), labels=BRANCH_KINDS),
            Column("parent_code", "上级组织编码", "text", aliases=("上级组织", "parent")),
            Column("street_code", "街道代码", "code", aliases=("街道编码", "street"), digits=(9, 9)),
            _community(),
            Column("grid_code", "网格代码", "code", aliases=("网格编码", "grid"), digits=(15, 15)),
            Column("compound_code", "小区编码", "code", aliases=("小区", "compound")),
            Column("secretary_background", "书记来源", "enum", aliases=("secretary",), labels=SECRETARY),
            Column("members", "党员人数", "int", aliases=("党员数",), min=0, max=100_000),
            Column("founded_on", "成立日期", "date", aliases=("founded",)),
        ),
        enums={
            "level": schema.PARTY_LEVELS,
            "branch_kind": schema.BRANCH_KINDS,
            "secretary_background": schema.SECRETARY_BACKGROUNDS,
        },
    )
)

LAYER_SUFFIXES = (".geojson", ".json", ".shp", ".zip", ".gpkg")
TEXT_SUFFIXES = (".csv", ".txt")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".et", ".ett", ".xlt")  # python-calamine reads them
TABLE_SUFFIXES = (*TEXT_SUFFIXES, *WORKBOOK_SUFFIXES)


def template(kind_name: str) -> tuple[bytes, str, str]:
    """An empty template for a kind: (bytes, file name, MIME type).

    Tables get a CSV of Chinese headers, UTF-8 with BOM so Excel opens it correctly. Boundary kinds
    get a GeoJSON FeatureCollection with one feature whose properties name every column (and whose
    geometry is empty, so loading the template unchanged is rejected).
    """
    kind = KINDS[kind_name]
    if kind.layer:
        feature = {"type": "Feature", "properties": {c.zh: "" for c in kind.columns}, "geometry": None}
        text = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, indent=1)
        return text.encode("utf-8"), f"{kind_name}_template.geojson", "application/geo+json"
    header = ",".join(c.zh for c in kind.columns) + "\n"
    return header.encode("utf-8-sig"), f"{kind_name}_template.csv", "text/csv"
