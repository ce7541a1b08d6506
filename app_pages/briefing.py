"""工作简报 Briefings: a unit's weekly, monthly or quarterly briefing as PDF and DOCX, its first page as a preview,
and the briefings of all its child units as one ZIP. Documents are made as the signed-in account (its area)."""

from datetime import timedelta

import streamlit as st

from dashboard import auth, data, filters
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.safe import md
from data_access import accounts, clock
from data_access.engine import acting, app_engine
from data_access.scope import Scope
from documents import briefing

RECENT = {"week": 12, "month": 12, "quarter": 8}  # periods offered, newest complete first
PDF, DOCX = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def recent(kind: str, as_of) -> list[str]:
    out, day = [], as_of
    while len(out) < RECENT[kind]:
        text = briefing.last_complete(kind, day)
        out.append(text)
        day = briefing.parse_period(text).period.start - timedelta(days=1)
    return out


@st.cache_data(ttl=data.CACHE_TTL_S, show_spinner=False, max_entries=64)
def documents(area: str, version: int, scope: str | None, period: str, who: str) -> dict:
    """PDF, DOCX, the first page as PNG and the sentences of one briefing, made once per data version."""
    with acting(area):
        b = briefing.collect(app_engine(), Scope.from_code(scope), period, who)
    imgs = briefing.images(b)
    pdf = briefing.pdf(b, imgs)
    return {"pdf": pdf, "docx": briefing.docx(b, imgs), "png": briefing.first_page_png(pdf),
            "sentences": briefing.sentences(b), "name": b.filename}  # fmt: skip


def audited(who, body: bytes, **detail):
    def build() -> bytes:
        accounts.log_event(who, "briefing", **detail)
        return body

    return build


def children_zip(area: str, scope: str | None, period: str, who: str) -> bytes:
    """One PDF per child unit (no DOCX, no preview: only the PDFs go into the ZIP)."""
    files = []
    with acting(area):
        for code in data.children(scope)["code"]:
            b = briefing.collect(app_engine(), Scope.from_code(code), period, who)
            files.append((f"{b.filename}.pdf", code, briefing.pdf(b)))
    return briefing.zipped(files)


with guarded():
    state = filters.current()
    who = auth.principal()
    st.title(t("briefing_page"))
    filters.breadcrumb(state)
    at = data.as_of()
    st.caption(t("briefing_caption", as_of=clock.written(at)))
    row = st.columns([1, 2])
    kind = row[0].radio(
        t("briefing_kind"), briefing.KINDS, index=1, format_func=lambda k: t(f"briefing_{k}"), horizontal=True
    )
    choices = recent(kind, at)
    period = row[1].selectbox(
        t("briefing_period"), choices, format_func=lambda p: briefing.parse_period(p).label, key=f"briefing_{kind}"
    )
    name = who.username if who else ""
    docs = documents(data.area(), data.version(), state.scope, period, name)
    detail = {"scope": state.scope, "period": period}
    buttons = st.container(horizontal=True)
    buttons.download_button(t("briefing_pdf"), audited(who, docs["pdf"], format="pdf", **detail),
                            f"{docs['name']}.pdf", PDF, type="primary", on_click="ignore")  # fmt: skip
    buttons.download_button(t("briefing_docx"), audited(who, docs["docx"], format="docx", **detail),
                            f"{docs['name']}.docx", DOCX, on_click="ignore")  # fmt: skip
    if Scope.from_code(state.scope).level != "grid":
        n = len(data.children(state.scope))
        key = ("briefing_zip", data.area(), data.version(), state.scope, period)
        if st.session_state.get("briefing_zip_key") != key:
            if buttons.button(t("briefing_children_make")):
                with st.spinner(t("briefing_children_wait", n=n)):
                    st.session_state["briefing_zip"] = children_zip(data.area(), state.scope, period, name)
                st.session_state["briefing_zip_key"] = key
                st.rerun()
        else:
            buttons.download_button(
                t("briefing_children", n=n),
                audited(who, st.session_state["briefing_zip"], format="zip", children=n, **detail),
                f"{docs['name']}_下级单位.zip", "application/zip", on_click="ignore",
            )  # fmt: skip
    left, right = st.columns([3, 2])
    left.subheader(t("briefing_preview"))
    left.image(docs["png"], width="stretch")
    right.subheader(t("briefing_findings"))
    right.markdown("\n".join(f"- {md(s)}" for s in docs["sentences"]))
