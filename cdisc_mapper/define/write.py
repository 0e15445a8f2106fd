"""Write a package's define.xml and define.html (and the stylesheet the XML names) atomically."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from ..errors import OutputError
from ..io.atomic import write_bytes_atomic
from ..mapping.study import Study
from ..spec.model import Codelist, DatasetSpec
from .build import STYLESHEET_HREF, build_define
from .render import render_html
from .resources import stylesheet
from .validate import schema_errors
from .studyinfo import DefineInfo, default_define_dir, load_define_info


def write_define(study: Study, specs: dict[str, DatasetSpec], data: dict[str, pd.DataFrame],
                 folder: Path, *, standard: str = "SDTMIG 3.4", created: datetime,
                 codelists: dict[str, Codelist], info: DefineInfo | None = None,
                 define_dir: Path | None = None,
                 ct_versions: dict[str, str] | None = None,
                 validate: bool = True) -> tuple[Path, Path]:
    """Write ``folder/define.xml`` and ``folder/define.html`` (with ``define2-1.xsl`` beside them,
    which the XML names as its stylesheet) for the datasets of one package folder.

    ``specs`` are the specs as written (lengths set) and ``data`` the DataFrames as written;
    ``standard`` is ``"SDTMIG 3.4"`` for ``tabulations/sdtm`` or ``"ADaMIG 1.3"`` for
    ``analysis/adam``.  The study-level content comes from ``info`` or, when it is not given,
    from ``define_dir/<STUDYID>.yaml`` (default: the ``define/`` folder of the project the study
    file belongs to).  ``ct_versions`` (publishing set -> package date, e.g. ``{"SDTM":
    "2025-03-28"}``) is the terminology the run used; a define file stating another version is an
    error.  The document is checked against the Define-XML 2.1 schema (ARM 1.0 when it has
    analysis results) before anything is written.  Returns the paths of define.xml and
    define.html.
    """
    folder = Path(folder)
    if info is None:
        info = load_define_info(study.id, define_dir or default_define_dir(study.file))
    xml = build_define(study, specs, data, standard=standard, created=created,
                       codelists=codelists, info=info, folder=folder, ct_versions=ct_versions)
    if validate:
        errors = schema_errors(xml)
        if errors:
            raise OutputError(f"the generated define.xml is not valid against the Define-XML "
                              f"2.1 schema: {'; '.join(errors[:5])}", file=str(folder / "define.xml"))
    html = render_html(xml)
    folder.mkdir(parents=True, exist_ok=True)
    xml_path, html_path = folder / "define.xml", folder / "define.html"
    write_bytes_atomic(folder / STYLESHEET_HREF, stylesheet().read_bytes())
    write_bytes_atomic(xml_path, xml)
    write_bytes_atomic(html_path, html)
    return xml_path, html_path
