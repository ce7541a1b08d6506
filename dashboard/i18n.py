"""Chinese-first labels with an English switch. The language lives in the URL (?lang=en)."""

from __future__ import annotations

import streamlit as st

LANGS = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("网格治理驾驶舱", "Grid Governance Cockpit"),
    "overview": ("总览", "Overview"),
    "places_title": ("示范地区一览", "Places at a glance"),
    "places_caption": (
        "数据截至 {as_of}；办件指标为近12个月上报事件。",
        "Data as of {as_of}; issue KPIs cover issues reported in the last 12 months.",
    ),
    "language": ("语言", "Language"),
    "code": ("区划代码", "Code"),
    "name": ("地区", "Place"),
    "city": ("城市", "City"),
    "streets": ("街道/镇", "Streets/towns"),
    "communities": ("社区/村", "Communities/villages"),
    "grids": ("网格", "Grids"),
    "micro_grids": ("微网格", "Micro-grids"),
    "compounds": ("小区", "Compounds"),
    "party_branches": ("小区/网格党支部", "Party branches"),
    "stations": ("服务阵地", "Service stations"),
    "grid_workers": ("网格力量", "Grid workers"),
    "volunteers": ("志愿者", "Volunteers"),
    "reported": ("上报事件", "Issues reported"),
    "closure_rate": ("处置率%", "Closure rate %"),
    "on_time_rate": ("按期结案率%", "On-time rate %"),
    "empty_store": (
        "库中还没有数据。运行 `make run` 会自动载入演示城市，或按 README 导入本地数据。",
        "The store holds no data yet. `make run` loads the demo city; see the README to import your own.",
    ),
    "error": (
        "页面出错，已记录（编号 {ref}）。请稍后重试或联系管理员。",
        "Something went wrong and was logged (reference {ref}). Try again or contact your administrator.",
    ),
}


def lang() -> str:
    value = st.query_params.get("lang", "zh")
    return value if value in LANGS else "zh"


def t(key: str, **kwargs) -> str:
    """The label ``key`` in the current language."""
    zh, en = _LABELS[key]
    text = en if lang() == "en" else zh
    return text.format(**kwargs) if kwargs else text


def language_switch() -> None:
    """A sidebar switch between 中文 and English that keeps the choice in the URL."""
    choice = st.sidebar.radio(
        t("language"),
        LANGS,
        index=LANGS.index(lang()),
        horizontal=True,
        format_func=lambda v: "中文" if v == "zh" else "English",
        key="lang_switch",
    )
    if choice != lang():
        st.query_params["lang"] = choice
        st.rerun()
