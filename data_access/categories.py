"""The default three-level issue category tree with time limits (configurable by import)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROPERTY = "02"  # 物业管理
DISPUTES = "03"  # 矛盾纠纷
EMERGENCIES = "05"  # 突发事件

# Hours allowed to accept an issue (受理时限) by level-1 category; 2 hours for the others.
ACCEPT_LIMIT_HOURS = {EMERGENCIES: 0.5, "04": 1.0}
# (code, name, name_en, time limit, unit); a level-3 code has 6 digits.
_TREE = [
    ("01", "市容环境", "City environment"),
    ("0101", "环境卫生", "Sanitation"),
    ("010101", "垃圾清运不及时", "Refuse not collected", 24, "hours"),
    ("010102", "乱堆乱放", "Clutter in public space", 48, "hours"),
    ("0102", "市容秩序", "Street order"),
    ("010201", "占道经营", "Street vending", 24, "hours"),
    ("010202", "违章搭建", "Illegal construction", 10, "working_days"),
    ("0103", "园林绿化", "Greenery"),
    ("010301", "绿地毁损", "Damaged green space", 5, "working_days"),
    ("02", "物业管理", "Property management"),
    ("0201", "物业服务", "Property service"),
    ("020101", "物业服务质量", "Property service quality", 5, "working_days"),
    ("020102", "电梯故障", "Lift breakdown", 24, "hours"),
    ("0202", "公共设施", "Shared facilities"),
    ("020201", "电动车充电", "E-bike charging", 10, "working_days"),
    ("020202", "停车管理", "Parking", 5, "working_days"),
    ("020203", "加装电梯", "Lift retrofit", 10, "working_days"),
    ("0203", "业主自治", "Owners' self-governance"),
    ("020301", "业委会事务", "Owners' committee affairs", 10, "working_days"),
    ("020302", "维修资金", "Maintenance fund", 10, "working_days"),
    ("03", "矛盾纠纷", "Disputes"),
    ("0301", "邻里纠纷", "Neighbour disputes"),
    ("030101", "噪音扰民", "Noise", 3, "working_days"),
    ("030102", "漏水纠纷", "Water leaks", 5, "working_days"),
    ("0302", "家庭纠纷", "Family disputes"),
    ("030201", "婚姻家庭", "Marriage and family", 5, "working_days"),
    ("0303", "劳资纠纷", "Wage disputes"),
    ("030301", "拖欠工资", "Unpaid wages", 10, "working_days"),
    ("04", "公共安全", "Public safety"),
    ("0401", "消防安全", "Fire safety"),
    ("040101", "消防通道堵塞", "Blocked fire lane", 12, "hours"),
    ("040102", "电动车入户充电", "E-bike charged indoors", 24, "hours"),
    ("0402", "治安隐患", "Public order"),
    ("040201", "治安隐患", "Public-order hazard", 48, "hours"),
    ("0403", "安全生产", "Work safety"),
    ("040301", "燃气安全", "Gas safety", 12, "hours"),
    ("05", "突发事件", "Emergencies"),
    ("0501", "自然灾害", "Natural hazards"),
    ("050101", "防汛排涝", "Flooding", 6, "hours"),
    ("050102", "地质灾害", "Geological hazard", 6, "hours"),
    ("0502", "事故灾难", "Accidents"),
    ("050201", "火灾", "Fire", 4, "hours"),
    ("06", "民生服务", "Public services"),
    ("0601", "社会保障", "Social security"),
    ("060101", "低保救助", "Subsistence allowance", 10, "working_days"),
    ("060102", "医保参保", "Health insurance", 5, "working_days"),
    ("0602", "为老服务", "Elderly care"),
    ("060201", "助餐助老", "Meals for the elderly", 3, "working_days"),
    ("0603", "市政设施", "Municipal facilities"),
    ("060301", "道路破损", "Damaged road", 5, "working_days"),
    ("060302", "路灯故障", "Street light out", 48, "hours"),
    ("060303", "排水不畅", "Blocked drain", 48, "hours"),
]


def default_tree() -> pd.DataFrame:
    """The default category tree as rows of the ``issue_category`` table."""
    rows = []
    for item in _TREE:
        code, name, name_en = item[:3]
        level = len(code) // 2
        rows.append(
            {
                "code": code,
                "parent_code": code[:-2] if level > 1 else None,
                "level": level,
                "name": name,
                "name_en": name_en,
                "time_limit": item[3] if level == 3 else None,
                "time_limit_unit": item[4] if level == 3 else None,
                "accept_limit_hours": ACCEPT_LIMIT_HOURS.get(code[:2], 2.0) if level == 3 else None,
            }
        )
    return pd.DataFrame(rows).astype({"time_limit": "Int64"})


def deadline(reported: pd.Series, limit, unit) -> pd.Series:
    """Due time of each issue: ``limit`` hours, calendar days, or working days (Mon–Fri) at the same time of day."""
    limit = np.asarray(limit, dtype=float)
    unit = np.asarray(unit)
    hours = pd.to_timedelta(np.where(unit == "hours", limit, 0), unit="h")
    hours += pd.to_timedelta(np.where(unit == "calendar_days", limit, 0), unit="D")
    days = np.where(unit == "working_days", limit, 0).astype(int)
    rdate = reported.dt.normalize()
    shifted = np.busday_offset(rdate.to_numpy().astype("datetime64[D]"), days, roll="forward")
    by_days = pd.Series(pd.to_datetime(shifted), index=reported.index) + (reported - rdate)
    return pd.Series(np.where(unit == "working_days", by_days, reported + hours), index=reported.index)
