"""数据导入 Import: upload, preview, validation report, confirm."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.errors import guarded
from dashboard.i18n import t
from dashboard.widgets import table
from data_access.engine import get_engine
from data_access.importing.kinds import KINDS, template_csv
from data_access.importing.load import import_file
from data_access.importing.validate import read_table

CRS = ["WGS-84", "CGCS2000", "GCJ-02", "BD-09", *[f"EPSG:{n}" for n in range(4513, 4534)]]

with guarded():
    st.title(t("import_page"))
    a, b, c = st.columns(3)
    kind = a.selectbox(t("import_kind"), list(KINDS), format_func=lambda k: t(f"kind_{k}"))
    crs = b.selectbox(t("crs"), CRS)
    encoding = c.selectbox(
        t("encoding"),
        [None, "utf-8", "gbk", "gb18030"],
        format_func=lambda e: t("encoding_auto") if e is None else e.upper(),
    )
    st.download_button(t("template"), template_csv(kind), f"{kind}_template.csv", "text/csv")
    upload = st.file_uploader(t("upload"), type=["csv", "xlsx"], key=f"upload_{kind}")
    if upload is not None:
        folder = Path(tempfile.mkdtemp(prefix="ggc-import-"))
        path = folder / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            raw, _ = read_table(path, encoding)
        except ValueError as exc:
            st.error(t("import_error", error=str(exc)))
            st.stop()
        st.subheader(t("preview"))
        st.dataframe(raw.head(20), hide_index=True, width="stretch")
        report = import_file(get_engine(), kind, path, crs=crs, encoding=encoding, dry_run=True)
        if report.problems:
            st.warning(t("validation_failed", n=len(report.problems), rows=max(report.rejected_rows, 1)))
            st.subheader(t("report"))
            problems = pd.DataFrame([p.__dict__ for p in report.problems])
            table(problems, ["row", "column", "value", "reason"], f"{kind}_problems", "problems_table")
            header_problem = any(p.row == 1 for p in report.problems)
            if not header_problem and st.button(t("load_valid"), type="primary"):
                done = import_file(get_engine(), kind, path, crs=crs, encoding=encoding, valid_rows_only=True)
                st.cache_data.clear()
                st.success(t("loaded", new=done.inserted, updated=done.updated, skipped=done.rejected_rows))
        else:
            st.success(t("validation_ok", rows=report.rows))
            if st.button(t("load"), type="primary"):
                done = import_file(get_engine(), kind, path, crs=crs, encoding=encoding)
                st.cache_data.clear()
                st.success(t("loaded", new=done.inserted, updated=done.updated, skipped=done.rejected_rows))
