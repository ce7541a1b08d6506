"""账户与审计 Accounts and audit (admins): create and change accounts, read the audit log."""

from datetime import datetime, time, timedelta

import streamlit as st

from dashboard import auth
from dashboard.errors import guarded
from dashboard.i18n import t
from data_access import accounts, sessions, tokens
from data_access.schema import ROLES

with guarded():
    st.title(t("admin_page"))
    who = auth.principal()
    if who is None or not who.is_admin:
        st.error(t("admins_only"))
        st.stop()

    st.subheader(t("accounts"))
    with auth.admin_connection() as conn:
        table = accounts.accounts(conn)
    st.dataframe(table, hide_index=True, width="stretch")
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
        event = st.dataframe(
            open_sessions[columns].rename(columns={c: t(c) for c in columns}),
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="sessions_table",
        )
        picked = event.selection.rows if event is not None else []
        if picked and st.button(t("end_session")):
            ended = open_sessions.iloc[picked[0]]
            with auth.admin_connection() as conn:
                sessions.end_by_admin(conn, ended["session"])
                accounts.audit(
                    conn, who.username, "session_end", who.area, session=ended["session"], user=ended["username"]
                )
            st.success(t("session_ended_by_admin", session=ended["session"]))

    st.subheader(t("api_tokens"))
    with auth.admin_connection() as conn:
        issued = tokens.listing(conn)
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
            issued = None
    if issued is None:
        with auth.admin_connection() as conn:
            issued = tokens.listing(conn)
    if issued.empty:
        st.caption(t("no_tokens"))
    else:
        columns = ["id", "username", "label", "created_by", "created_at", "last_used_at", "revoked_at"]
        event = st.dataframe(
            issued[columns].rename(columns={c: t(f"token_{c}") for c in columns}),
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="tokens_table",
        )
        picked = event.selection.rows if event is not None else []
        if picked and st.button(t("token_revoke")):
            revoked = issued.iloc[picked[0]]
            with auth.admin_connection() as conn:
                tokens.revoke(conn, int(revoked["id"]))
                accounts.audit(conn, who.username, "token_revoke", who.area, token=int(revoked["id"]),
                               user=revoked["username"])  # fmt: skip
            st.success(t("token_revoked", id=int(revoked["id"])))

    st.subheader(t("audit_log"))
    a, b, c = st.columns(3)
    user = a.text_input(t("username"), key="audit_user")
    event = b.selectbox(t("audit_event"), ["", *accounts.EVENTS], format_func=lambda e: e or t("all"))
    since = c.date_input(t("audit_since"), datetime.now().date() - timedelta(days=30))
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
