"""What each importable kind of file holds: columns with Chinese headers, English aliases, types.

A column's ``type`` is one of text, code, int, float, date, datetime, enum. Enumerations accept
the stored English value or its Chinese label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data_access import schema


@dataclass(frozen=True)
class Column:
    name: str  # the table column
    zh: str  # the template's Chinese header
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # Chinese label → stored value (enums)
    min: float | None = None
    max: float | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.zh, self.name, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    key: str  # natural key column (upsert on it)
    columns: tuple[Column, ...]
    located: bool = False  # rows carry lon/lat; missing hierarchy codes are derived from them

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


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
SATISFACTION = {"满意": "satisfied", "基本满意": "basically_satisfied", "不满意": "dissatisfied"}

_LOCATION = (
    Column("community_code", "社区代码", "code", aliases=("社区编码", "community")),
    Column("lon", "经度", "float", required=True, aliases=("longitude", "lng", "x"), min=-180, max=180),
    Column("lat", "纬度", "float", required=True, aliases=("latitude", "y"), min=-90, max=90),
)

KINDS: dict[str, Kind] = {
    "stations": Kind(
        "stations",
        "service_station",
        "code",
        (
            Column("code", "阵地编码", "text", required=True, aliases=("编码", "station_code")),
            Column("name", "名称", "text", required=True, aliases=("阵地名称", "station_name")),
            Column("type", "类型", "enum", required=True, aliases=("阵地类型",), labels=STATION_TYPES),
            *_LOCATION,
            Column("opened_on", "启用日期", "date", required=True, aliases=("opened", "开放日期")),
            Column("floor_area_m2", "面积(平方米)", "float", aliases=("面积", "floor_area"), min=0.1, max=100_000),
            Column("construction", "建设方式", "enum", labels=CONSTRUCTION),
            Column("services", "服务内容", "text", aliases=("服务项目",)),
        ),
        located=True,
    ),
    "issues": Kind(
        "issues",
        "issue",
        "code",
        (
            Column("code", "工单编号", "text", required=True, aliases=("事件编号", "order_no")),
            Column("source_channel", "来源渠道", "enum", required=True, aliases=("来源", "source"), labels=SOURCES),
            Column("category_code", "事件分类代码", "code", required=True, aliases=("分类代码", "category")),
            *_LOCATION,
            Column("reported_at", "上报时间", "datetime", required=True, aliases=("reported",)),
            Column("accepted_at", "受理时间", "datetime", aliases=("accepted",)),
            Column("registered_at", "立案时间", "datetime", aliases=("registered",)),
            Column("dispatched_at", "派遣时间", "datetime", aliases=("dispatched",)),
            Column("handled_at", "处置时间", "datetime", aliases=("handled",)),
            Column("verified_at", "核查时间", "datetime", aliases=("verified",)),
            Column("closed_at", "结案时间", "datetime", aliases=("closed",)),
            Column("evaluated_at", "评价时间", "datetime", aliases=("evaluated",)),
            Column("due_at", "办理时限", "datetime", aliases=("deadline", "due")),
            Column("escalation_level", "解决层级", "enum", aliases=("escalation",), labels=ESCALATION),
            Column("satisfaction", "满意度", "enum", labels=SATISFACTION),
        ),
        located=True,
    ),
}

# Stored values each enumeration accepts, from the schema.
ENUM_VALUES = {
    ("stations", "type"): schema.STATION_TYPES,
    ("stations", "construction"): schema.CONSTRUCTION_KINDS,
    ("issues", "source_channel"): schema.SOURCE_CHANNELS,
    ("issues", "escalation_level"): schema.ESCALATION_LEVELS,
    ("issues", "satisfaction"): schema.SATISFACTION,
}


def template_csv(kind_name: str) -> bytes:
    """An empty template (Chinese headers) for a kind, UTF-8 with BOM so Excel opens it correctly."""
    kind = KINDS[kind_name]
    return (",".join(c.zh for c in kind.columns) + "\n").encode("utf-8-sig")
