"""账户与审计 Accounts and audit (admins): accounts, sessions, API tokens, the wall-screen builder, the sources the
sync reads (数据对接), the alert rules and the audit log."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import auth, formats
from dashboard import screen as sc
from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.safe import md
from data_access import accounts, alerts, clock, sessions, sources, sync, tokens
from data_access.engine import get_engine
from data_access.schema import ROLES


def readable(df):
    """Times to the minute in the clock's zone, and nothing (not "None") where there is none."""
    out = formats.wall_times(df)
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return out.fillna("")


def picked_row(df, columns: list[str], labels: dict, key: str):
    """``df``'s columns as a table where one row can be picked; the row picked, or None."""
    event = st.dataframe(
        readable(df[columns]).rename(columns=labels),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    picked = event.selection.rows if event is not None else []
    return df.iloc[picked[0]] if picked else None


with guarded():
    st.title(t("admin_page"))
    who = auth.principal()
    if who is None or not who.is_admin:
        st.error(t("admins_only"))
        st.stop()

    st.subheader(t("accounts"))
    with auth.admin_connection() as conn:
        table = accounts.accounts(conn)
    shown = table.assign(role=[t(f"role_{r}") for r in table["role"]])
    labels = {c: t(f"account_{c}") for c in ["created_at", "changed_at", "recent_failures"]}
    labels.update({c: t(c) for c in ["username", "display_name", "role", "area", "disabled"]})
    st.dataframe(readable(shown).rename(columns=labels), hide_index=True, width="stretch")
    with st.form("account", clear_on_submit=True):
        a, b, c = st.columns(3)
        username = a.text_input(t("username"))
        role = b.selectbox(t("role"), ROLES, format_func=lambda r: t(f"role_{r}"))
        area = c.text_input(t("area"), help="430602 / 430602001 / 430602001001")
        d, e, f = st.columns(3)
        name = d.text_input(t("display_name"))
        password = e.text_input(t("account_password_hint"), type="password")
        disabled = f.checkbox(t("disabled"))
        if st.form_submit_button(t("account_save"), type="primary"):
            try:
                with auth.admin_connection() as conn:
                    token = accounts.save_account(
                        conn, who.username, username.strip(), role, area.strip(), password=password or None,
                        display_name=name.strip(), disabled=disabled,
                    )  # fmt: skip
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.success(t("account_saved", name=username.strip()))
                if token:
                    st.code(t("account_token", token=token), language=None)

    st.subheader(t("sessions"))
    with auth.admin_connection() as conn:
        open_sessions = sessions.active(conn)
    if open_sessions.empty:
        st.caption(t("no_sessions"))
    else:
        columns = ["session", "username", "client_addr", "user_agent", "created_at", "last_seen_at", "expires_at"]
        ended = picked_row(open_sessions, columns, {c: t(c) for c in columns}, "sessions_table")
        if ended is not None and st.button(t("end_session")):
            with auth.admin_connection() as conn:
                sessions.end_by_admin(conn, ended["session"])
                accounts.audit(
                    conn, who.username, "session_end", who.area, session=ended["session"], user=ended["username"]
                )
            st.success(t("session_ended_by_admin", session=ended["session"]))

    st.subheader(t("api_tokens"))
    with st.form("api_token", clear_on_submit=True):
        a, b = st.columns(2)
        owner = a.selectbox(t("username"), table["username"].tolist(), key="token_user")
        label = b.text_input(t("token_label"), max_chars=100, placeholder=t("token_label_hint"))
        if st.form_submit_button(t("token_issue")):
            with auth.admin_connection() as conn:
                token = tokens.issue(conn, owner, label, who.username)
                accounts.audit(conn, who.username, "token_issue", who.area, user=owner, label=label.strip()[:100])
            st.success(t("token_issued", name=owner))
            st.code(token, language=None)
    with auth.admin_connection() as conn:
        issued = tokens.listing(conn)
    if issued.empty:
        st.caption(t("no_tokens"))
    else:
        columns = ["id", "username", "label", "created_by", "created_at", "last_used_at", "revoked_at"]
        revoked = picked_row(issued, columns, {c: t(f"token_{c}") for c in columns}, "tokens_table")
        if revoked is not None and st.button(t("token_revoke")):
            with auth.admin_connection() as conn:
                tokens.revoke(conn, int(revoked["id"]))
                accounts.audit(conn, who.username, "token_revoke", who.area, token=int(revoked["id"]),
                               user=revoked["username"])  # fmt: skip
            st.success(t("token_revoked", id=int(revoked["id"])))

    st.subheader(t("screen_builder"))
    a, b, c, d = st.columns(4)
    scope = a.text_input(t("area"), "430602", key="builder_scope", help="430602 / 430602001")
    rotate = b.selectbox(
        t("builder_rotate"), ["children", "", "panels"], format_func=lambda r: t(f"builder_rotate_{r or 'none'}")
    )
    every = c.number_input(t("builder_every"), 3, 3600, 30, key="builder_every")
    refresh = d.number_input(t("builder_refresh"), 3, 3600, 60, key="builder_refresh")
    a, b, c = st.columns([1, 3, 1])
    layout = a.selectbox(t("builder_layout"), ["", *sc.LAYOUTS], format_func=lambda x: x or t("builder_layout_auto"))
    panels = b.multiselect(t("builder_panels"), sc.PANELS, sc.PANELS, format_func=lambda p: t(f"panel_{p}"))
    theme = c.selectbox(t("builder_theme"), ["dark", "light"], format_func=lambda x: t(f"builder_theme_{x}"))
    with auth.admin_connection() as conn:
        demo = accounts.demo_mode(conn)
    token = st.text_input(t("builder_token"), accounts.DEMO_SCREEN_TOKEN if demo else "", key="builder_token")
    built = sc.parse({"scope": scope.strip(), "rotate": rotate, "every": every, "refresh": refresh, "layout": layout,
                      "panels": ",".join(panels), "theme": theme})  # fmt: skip
    link = "/screen?" + urlencode({**sc.to_params(built), "token": token.strip()})
    st.code(link, language=None)
    if token.strip():
        st.caption(t("builder_preview"))
        st.iframe(link, height=540, width=960)

    st.subheader(t("sync_sources"))
    with auth.admin_connection() as conn:
        fed, recent, fresh = sources.status(conn), sources.runs(conn, 20), sources.freshness(conn)
    if fed.empty:
        st.caption(t("sync_none"))
    else:
        fresh = fresh.set_index("name")["overdue"]
        fed = fed.assign(
            kind=[t(f"sync_kind_{k}") for k in fed["kind"]],
            state=[t("sync_overdue") if fresh.get(n, False) else t("sync_fresh") for n in fed["name"]],
        )
        columns = ["label", "kind", "profile", "expected_minutes", "last_delivery_at", "state", "last_run_at",
                   "failures", "last_error"]  # fmt: skip
        st.dataframe(
            readable(fed[columns]).rename(columns={c: t(f"sync_{c}") for c in columns}), hide_index=True,
            width="stretch",
        )  # fmt: skip
        if st.button(t("sync_run_now")):
            with st.spinner(t("sync_running")):
                done = sync.run_all(get_engine())
            st.success(t("sync_ran", n=len(done), ok=sum(r["ok"] for r in done)))
        if not recent.empty:
            recent = recent.assign(ok=[t("sync_ok") if ok else t("sync_failed") for ok in recent["ok"]])
            columns = ["source", "started_at", "ok", "files", "rows", "inserted", "updated", "rejected", "message"]
            st.dataframe(
                readable(recent[columns]).rename(columns={c: t(f"sync_run_{c}") for c in columns}), hide_index=True,
                width="stretch",
            )  # fmt: skip

    st.subheader(t("alert_rules"))
    path = alerts.rules_path()
    st.caption(t("alert_rules_help", path=path))
    text = st.text_area(t("alert_rules"), path.read_text(encoding="utf-8"), height=360, key="alert_rules_text",
                        label_visibility="collapsed")  # fmt: skip
    if st.button(t("alert_rules_save"), key="alert_rules_save"):
        try:
            rules = alerts.parse(text)
        except alerts.RuleError as exc:
            st.error(t("alert_rules_bad", error=md(str(exc))))
        else:
            alerts.save(path, text)
            with auth.admin_connection() as conn:
                accounts.audit(conn, who.username, "alert_rules", who.area, rules=[r.name for r in rules.rules])
            result = alerts.evaluate(get_engine(), rules)
            st.success(t("alert_rules_saved", n=len(rules.rules), **result))

    st.subheader(t("audit_log"))
    a, b, c = st.columns(3)
    user = a.text_input(t("username"), key="audit_user")
    event = b.selectbox(t("audit_event"), ["", *accounts.EVENTS], format_func=lambda e: e or t("all"))
    since = c.date_input(t("audit_since"), clock.today() - timedelta(days=30))
    with auth.admin_connection() as conn:
        entries = accounts.audit_entries(
            conn, username=user.strip(), event=event, since=datetime.combine(since, time()) if since else None
        )
    st.dataframe(
        entries.rename(
            columns={
                "at": t("audit_at"),
                "username": t("username"),
                "event": t("audit_event"),
                "area": t("area"),
                "detail": t("audit_detail"),
            }
        ),  # fmt: skip
        hide_index=True,
        width="stretch",
    )
