"""数据导入 Import: upload, preview, validation report, confirm."""

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from dashboard import auth, data, mapview, profile_editor
from dashboard.errors import guarded
from dashboard.i18n import lang, t
from dashboard.safe import md
from dashboard.widgets import table
from data_access.engine import acting_as, app_engine
from data_access.importing import encodings, profiles
from data_access.importing.kinds import KINDS, LAYER_SUFFIXES, TABLE_SUFFIXES, template
from data_access.importing.load import import_file
from data_access.importing.validate import FileProblem, problem_frame, read_table
from data_access.settings import get_settings
from web import telemetry

CRS = [None, "WGS-84", "CGCS2000", "GCJ-02", "BD-09", *[f"EPSG:{n}" for n in range(4513, 4534)]]
SHAPEFILE_PARTS = ["shp", "shx", "dbf", "prj", "cpg"]


def _saved(uploads, folder: Path) -> Path:
    """Write the uploaded file(s) to ``folder``; a loose Shapefile's parts land side by side."""
    for upload in uploads:
        (folder / Path(upload.name).name).write_bytes(upload.getvalue())
    main = [p for p in folder.iterdir() if p.suffix.lower() in (*LAYER_SUFFIXES, *TABLE_SUFFIXES)]
    shp = [p for p in main if p.suffix.lower() == ".shp"]
    return (shp or main or list(folder.iterdir()))[0]


def _import(kind, path, **options):
    """import_file on the app role's engine, as the signed-in admin (row-level security lets admins write)."""
    with acting_as(auth.principal()):
        return import_file(app_engine(), kind, path, **options)


def _load(kind, path, uploads, options: dict, valid_rows_only) -> None:
    done = _import(kind, path, valid_rows_only=valid_rows_only, **options)
    telemetry.IMPORTS.labels("loaded" if done.loaded else "refused").inc()
    if not done.loaded:  # the store refused what the check passed (a concurrent change): say so, load nothing
        st.error(t("validation_failed", n=len(done.problems), rows=max(done.rejected_rows, 1)))
        table(
            problem_frame(done.problems, lang()),
            ["row", "column", "value", "reason"],
            f"{kind}_refused",
            "problems_table",
        )
        return
    digest = hashlib.sha256(b"".join(u.getvalue() for u in uploads)).hexdigest()
    auth.audit(
        "import", kind=kind, files=[u.name for u in uploads], sha256=digest, rows=done.rows,
        inserted=done.inserted, updated=done.updated, rejected=done.rejected_rows,
        departments_created=[] if done.new_departments is None else done.new_departments["code"].tolist(),
    )  # fmt: skip
    data.clear()
    st.success(t("loaded", new=done.inserted, updated=done.updated, skipped=done.rejected_rows))


def _profile(kind, path, uploads, saved: str | None, options: dict) -> profiles.Profile:
    """The saved profile chosen, or one proposed for this file and edited here (and saved when asked)."""
    if saved is not None:
        with auth.admin_connection() as conn:
            return profiles.get(conn, saved)
    raw, _, _, _ = read_table(path, options["encoding"], KINDS[kind])
    key = hashlib.sha256(b"".join(u.getvalue() for u in uploads)).hexdigest()[:16]
    proposal = profiles.propose(raw.columns, KINDS[kind])
    with st.expander(t("profile_title"), expanded=bool((proposal["reason"] != "name").any())):
        edited = profile_editor.mapping(kind, proposal, key)
        draft = profiles.from_proposal("", kind, edited, district=options.get("district"))
        if kind == "issues":  # the names a dry run with these columns could not find, nearest proposed
            found = profiles.name_maps(_import(kind, path, dry_run=True, **{**options, "profile": draft}).problems)
            maps = profile_editor.name_maps(found, key)
            draft.categories, draft.departments = maps["categories"], maps["departments"]
        a, b = st.columns([3, 1], vertical_alignment="bottom")
        draft.name = a.text_input(t("profile_name"), max_chars=64, key=f"profile_name_{key}").strip()
        if b.button(t("profile_save"), disabled=not draft.name):
            try:
                with auth.admin_connection() as conn:
                    profiles.save(conn, draft, auth.principal().username)
                st.success(t("profile_saved", name=md(draft.name)))
            except ValueError as exc:
                st.error(md(str(exc)))
    return draft


def _page(kind, path, uploads, options: dict) -> None:
    """The dry run's report of the upload, and the button that loads it (``options``: import_file's)."""
    report = _import(kind, path, dry_run=True, **options)
    st.caption(t("import_read", rows=report.rows, encoding=encodings.shown(report.encoding), crs=report.crs))
    st.subheader(t("preview"))
    st.dataframe(report.preview, hide_index=True, width="stretch")
    if report.shapes is not None and len(report.shapes):
        level = {"districts": "district", "streets": "street", "communities": "community"}.get(kind, "grid")
        st.pydeck_chart(mapview.preview(report.shapes, level, get_settings(), 360), height=360)
    for note in report.notes:
        st.info(md(note.line(lang())))  # notes quote the file: its headers, its footer
    if report.problems:
        st.warning(t("validation_failed", n=len(report.problems), rows=max(report.rejected_rows, 1)))
        st.subheader(t("report"))
        problems = problem_frame(report.problems, lang())
        table(problems, ["row", "column", "value", "reason"], f"{kind}_problems", "problems_table")
        whole = any(p.of_header for p in report.problems) or kind == "categories"  # a tree loads whole or not at all
        if not whole and st.button(t("load_valid"), type="primary"):
            _load(kind, path, uploads, options, valid_rows_only=True)
    else:
        st.success(t("validation_ok", rows=report.rows))
        if st.button(t("load"), type="primary"):
            _load(kind, path, uploads, options, valid_rows_only=False)


with guarded():
    st.title(t("import_page"))
    if not (auth.principal() and auth.principal().is_admin):
        st.error(t("admins_only"))
        st.stop()
    a, b, c = st.columns(3)
    kinds = list(KINDS)
    asked = st.query_params.get("kind")
    kind = a.selectbox(
        t("import_kind"),
        kinds,
        index=kinds.index(asked) if asked in KINDS else kinds.index("stations"),
        format_func=lambda k: t(f"kind_{k}"),
    )
    layer = KINDS[kind].layer
    crs = b.selectbox(t("crs"), CRS, format_func=lambda v: t("crs_auto") if v is None else v)
    encoding = c.selectbox(
        t("encoding"),
        [None, "utf-8", "gbk", "gb18030"],
        format_func=lambda e: t("encoding_auto") if e is None else e.upper(),
    )
    options = {"crs": crs, "encoding": encoding}
    if kind in ("issues", "categories"):  # names within which district; a tree is a district's
        names = data.names_of("district", None)
        options["district"] = st.selectbox(
            t("import_district" if kind == "issues" else "import_tree_district"),
            [None, *names],
            format_func=lambda c: t("import_district_any") if c is None else names[c],
        )
    if kind == "issues":
        options["create_departments"] = st.checkbox(t("import_create_departments"))
    if kind == "categories":
        options["replace_tree"] = st.radio(
            t("import_tree_mode"), [None, False, True], format_func=lambda v: t(f"import_tree_{v}"), horizontal=True
        )
    saved_profile = None
    if not layer:
        with auth.admin_connection() as conn:
            saved = profiles.names(conn, kind)
        saved_profile = st.selectbox(
            t("import_profile"), [None, *saved], format_func=lambda n: t("import_profile_new") if n is None else n
        )
    body, name, mime = template(kind)
    st.download_button(t("template"), body, name, mime, on_click="ignore")
    types = ["geojson", "json", "zip", "gpkg", *SHAPEFILE_PARTS] if layer else [s[1:] for s in TABLE_SUFFIXES]
    uploads = st.file_uploader(
        t("upload_layer" if layer else "upload"), type=types, accept_multiple_files=True, key=f"upload_{kind}"
    )
    if uploads:
        # The uploads live in a folder of this run only: removed again however the run ends.
        with tempfile.TemporaryDirectory(prefix="ggc-import-") as folder:
            path = _saved(uploads, Path(folder))
            try:
                if not layer:
                    options["profile"] = _profile(kind, path, uploads, saved_profile, options)
                _page(kind, path, uploads, options)
            except FileProblem as exc:
                st.error(t("import_error", error=md(exc.reason_in(lang()))))
