"""RTF of a display, the format tables are delivered in: landscape, the titles and the column
header in the page header and the footnotes in the page footer (so on every page, in Word and
LibreOffice alike), rules above and below the column header and at the end of the table.

A small writer of RTF 1.9 control words (plain ASCII output; other characters as ``\\uN?``,
superscript digits as ``{\\super N}``), enough for a table and nothing more."""

from __future__ import annotations

from .tables import Table

PAGE_W, PAGE_H, MARGIN = 15840, 12240, 1080          # US Letter landscape, 0.75 in margins
WIDTH = PAGE_W - 2 * MARGIN
_SUPER = {c: d for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")}


def escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif ch in _SUPER:
            out.append("{\\super " + _SUPER[ch] + "}")
        elif ord(ch) < 128:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
    return "".join(out)


def _bounds(t: Table) -> list[int]:
    n = t.columns
    stub = int(WIDTH * (0.34 if n > 3 else 0.45))
    rest = (WIDTH - stub) // max(n - 1, 1)
    return [stub + rest * i for i in range(n)]


def _row(cells: list[tuple[str, int]], bounds: list[int], *, header: bool, top: bool = False,
         bottom: bool = False, bold: bool = False, indent: int = 0,
         keep_next: bool = False) -> str:
    out = ["\\trowd" + ("\\trhdr" if header else "") + "\\trgaph72\\trleft0\\trkeep"
           + ("\\trkeepfollow" if keep_next else "")]
    col = 0
    edges = []
    for _, span in cells:
        col += span
        edges.append(bounds[col - 1])
    for e in edges:
        border = ""
        if top:
            border += "\\clbrdrt\\brdrs\\brdrw15"
        if bottom:
            border += "\\clbrdrb\\brdrs\\brdrw10"
        valign = "\\clvertalb" if header else "\\clvertalt"
        out.append(f"{valign}{border}\\cellx{e}")
    for i, (text, _) in enumerate(cells):
        align = "\\ql" if i == 0 else "\\qc"
        li = f"\\li{240 * indent}" if i == 0 and indent else ""
        b, b0 = ("\\b", "\\b0") if bold or header else ("", "")
        keep = "\\keepn" if keep_next else ""
        out.append(f"\\pard\\intbl{keep}{align}{li}{b} {escape(text)}{b0}\\cell")
    out.append("\\row")
    return "".join(out)


def table_rtf(study: str, t: Table) -> bytes:
    bounds = _bounds(t)
    parts = ["{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1",
             "{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}}",
             f"{{\\info{{\\title {escape(t.display + ': ' + t.title)}}}}}",
             f"\\paperw{PAGE_W}\\paperh{PAGE_H}\\landscape\\margl{MARGIN}\\margr{MARGIN}"
             f"\\margt{MARGIN}\\margb{MARGIN}\\fs18",
             # titles in the page header and footnotes in the page footer: on every page
             f"{{\\header\\pard\\ql\\tqr\\tx{WIDTH}\\fs16 {escape(study)}\\tab Page "
             "{\\field{\\*\\fldinst PAGE}{\\fldrslt 1}} of "
             "{\\field{\\*\\fldinst NUMPAGES}{\\fldrslt 1}}\\par",
             f"\\pard\\qc\\b\\fs18 {escape(t.display)}\\par",
             f"\\pard\\qc {escape(t.title)}\\b0\\par",
             f"\\pard\\qc\\sa120 {escape(t.population)}\\par"]
    last = len(t.header) - 1
    for r, hrow in enumerate(t.header):       # the column header too: repeated in any reader
        parts.append(_row(hrow, bounds, header=True, top=r == 0, bottom=r == last))
    parts += ["\\pard\\fs4\\par}", "{\\footer"]
    for i, note in enumerate(t.footnotes, 1):
        parts.append(f"\\pard\\ql\\fi-240\\li240\\fs16 {i}. {escape(note)}\\par")
    parts.append("}")
    for k, row in enumerate(t.rows):
        # a block (a section row and the rows under it) stays on one page
        following = t.rows[k + 1] if k + 1 < len(t.rows) else None
        keep = following is not None and not following.section
        parts.append(_row([(c, 1) for c in row.cells], bounds, header=False,
                          bottom=k == len(t.rows) - 1, bold=row.section, indent=row.indent,
                          keep_next=keep))
    parts.append("\\pard\\par}")
    return ("\n".join(parts) + "\n").encode("ascii")
