"""A tiny study written to a temporary folder, for tests of the engine and of bad input.

Tests change one file (a mapping, a raw form) and check what the product does with it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

STUDY = """\
study:
  id: MINI
  title: A minimal study
  raw: raw
  include: [shared]
subject: {id: SUBJECT, site: SITE}
dictionaries:
  ae: {file: ae_dictionary.csv}
elements:
  - {etcd: SCRN, element: Screening, start: Informed consent, epoch: SCREENING}
  - {etcd: TRT, element: Drug, start: First dose, epoch: TREATMENT}
arms:
  - {armcd: DRUG, arm: Drug, code: A, treatment: DRUG, elements: [SCRN, TRT]}
epochs:
  - {epoch: SCREENING, start: RFICDTC}
  - {epoch: TREATMENT, start: RFXSTDTC}
visits:
  - {visitnum: 1, visit: SCREENING, raw: [Screening], day: -7, epoch: SCREENING}
  - {visitnum: 2, visit: WEEK 0, raw: [Week 0], day: 1, epoch: TREATMENT}
  - {visitnum: 3, visit: WEEK 2, raw: [Week 2], day: 15, epoch: TREATMENT}
trial_summary:
  - {parmcd: TITLE, value: A minimal study}
  - {parmcd: SSTDTC, derive: {dataset: DM, variable: RFICDTC, stat: min}}
"""

DM = """\
dataset: DM
source: dm
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  SUBJID: {method: assign, from: SUBJECT}
  RFSTDTC: {method: first_date, sources: [{source: ex, date: EXDAT}]}
  RFXSTDTC: {method: first_date, sources: [{source: ex, date: EXDAT}]}
  RFICDTC: {method: iso_date, date: ICDAT}
  SITEID: {method: assign, from: SITE}
  SEX: {method: assign_ct, from: SEX, codelist: SEX}
  ARMCD: {method: study_arm, from: GRP, take: armcd}
  ARM: {method: study_arm, from: GRP, take: arm}
  COUNTRY: {method: hardcode, value: KOR}
"""

AE = """\
dataset: AE
source: ae
keys: [STUDYID, USUBJID, AEDECOD, AESTDTC]
order: [STUDYID, USUBJID, AESTDTC]
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  AESEQ: {method: seq}
  AETERM: {method: assign, from: AETERM}
  AEDECOD: {method: lookup, from: AETERM, dictionary: ae, match: LLT, take: PT}
  AESEV: {method: assign_ct, from: AESEV, codelist: AESEV}
  AESTDTC: {method: iso_date, date: AESTDAT}
  AESTDY: {method: study_day, of: AESTDTC}
  EPOCH: {method: epoch, dtc: AESTDTC}
"""

FORMS = {
    "dm": "SUBJECT,SITE,SEX,ICDAT,GRP\n01-001,01,Male,01 MAR 2021,A\n01-002,01,female,03 MAR 2021,A\n",
    "ex": "SUBJECT,EXDAT\n01-001,10 MAR 2021\n01-002,12 MAR 2021\n",
    "ae": ("SUBJECT,AETERM,AESEV,AESTDAT\n01-001,Headache,mild,12 MAR 2021\n"
           "01-001,Haedache,Moderate,UN MAR 2021\n01-002,Nausea,SEVERE,05 MAR 2021\n"),
}

DICTIONARY = "LLT,PT\nHeadache,Headache\nHaedache,Headache\nNausea,Nausea\n"


# a vital-signs mapping in long layout, with unit conversion (units table in the study file)
VS = """\
dataset: VS
source: vs
keys: [STUDYID, USUBJID, VSTESTCD, VSDTC]
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  VSSEQ: {method: seq}
  VSTESTCD: {method: assign, from: TEST}
  VSTEST: {method: assign, from: TEST}
  VSORRES: {method: assign, from: RES}
  VSORRESU: {method: assign, from: UNIT}
  VSSTRESN: {method: convert_unit, of: VSORRES, unit: VSORRESU, test: VSTESTCD, round: 2}
  VSSTRESU: {method: convert_unit, of: VSORRES, unit: VSORRESU, test: VSTESTCD, take: unit}
  VSDTC: {method: iso_date, date: DAT}
"""


def write(tmp: Path, *, study: str = STUDY, mappings: dict[str, str] | None = None,
          forms: dict[str, str] | None = None) -> Path:
    """Write the minimal study under ``tmp`` (project layout); return the study file."""
    folder = tmp / "mappings" / "MINI"
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    (folder / "raw").mkdir(exist_ok=True)
    (folder / "study.yaml").write_text(textwrap.dedent(study), encoding="utf-8")
    (folder / "ae_dictionary.csv").write_text(DICTIONARY, encoding="utf-8")
    maps = {"dm": DM, "ae": AE}
    maps.update(mappings or {})
    for name, text in maps.items():
        if text is not None:
            (folder / "shared" / f"{name}.yaml").write_text(text, encoding="utf-8")
    all_forms = dict(FORMS)
    all_forms.update(forms or {})
    for name, text in all_forms.items():
        (folder / "raw" / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder / "study.yaml"
