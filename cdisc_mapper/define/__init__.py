"""Define-XML 2.1 for a package folder, generated from the specification model.

* :func:`write_define` — ``define.xml`` + ``define.html`` for one package folder
  (``tabulations/sdtm`` or ``analysis/adam``);
* :func:`build_define` — the define.xml document as bytes;
* :func:`load_define_info` — a study's define file (``define/<STUDYID>.yaml``), checked;
* :func:`render_html` — define.xml -> define.html with the CDISC stylesheet;
* :mod:`.resources` — the schemas and the stylesheet (from the ``defineutils`` package).
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_define", "build_define", "load_define_info", "render_html", "DefineInfo"]


def __getattr__(name: str) -> Any:          # light import: mapping.schema imports .schema
    if name == "write_define":
        from .write import write_define
        return write_define
    if name == "build_define":
        from .build import build_define
        return build_define
    if name in ("load_define_info", "DefineInfo"):
        from . import studyinfo
        return getattr(studyinfo, name)
    if name == "render_html":
        from .render import render_html
        return render_html
    raise AttributeError(name)
