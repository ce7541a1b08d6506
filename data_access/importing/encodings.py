"""Text encodings of imported files: UTF-8 (with or without BOM), GBK and GB18030."""

from __future__ import annotations

import codecs

KNOWN = ("utf-8", "utf-8-sig", "gbk", "gb18030")


def shown(encoding: str) -> str:
    """An encoding as a user names it: UTF-8 (a BOM or not), GBK, GB18030 (a workbook's format: XLSX …)."""
    return "UTF-8" if encoding == "utf-8-sig" else encoding.upper()


class EncodingProblem(ValueError):
    """The bytes do not decode in the named or any supported encoding."""


def _where(data: bytes, encoding: str) -> str:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"byte {exc.start} (line {line})"
    return ""


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; return (text, encoding used).

    With ``declared`` the bytes must be valid in it. Otherwise a UTF-8 BOM means UTF-8;
    valid UTF-8 is UTF-8; else GBK, else GB18030 (its superset).
    """
    if declared:
        name = declared.strip().lower().replace("_", "-")
        try:
            codecs.lookup(name)
        except LookupError:
            raise EncodingProblem(f"unknown encoding {declared!r}; use one of {', '.join(KNOWN)}") from None
        if name in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        where = _where(data, name)
        if where:
            raise EncodingProblem(f"the file is not valid {declared} at {where}")
        return data.decode(name), name
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    for name in ("utf-8", "gbk", "gb18030"):
        if not _where(data, name):
            return data.decode(name), name
    raise EncodingProblem(f"the file is neither UTF-8 nor GBK/GB18030 (UTF-8 fails at {_where(data, 'utf-8')})")
