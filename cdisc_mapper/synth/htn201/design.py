"""The design of HTN201: what the protocol fixes, before anything is drawn.

HTN201 is a small open-label, randomised, parallel-group trial of ZX-101 (an invented
antihypertensive) at 5 mg and 10 mg once daily for 12 weeks in adults with stage 1 or 2 essential
hypertension, at three US sites, with a 2-week follow-up.  Its EDC and its central laboratory
export data as a US trial would: ODM-style dotted item names (``IT.AETERM``), ``MM/DD/YYYY``
dates with unknown parts as ``UN``/``UNK``, imperial units (lb, in, °F), a vital-signs form in
wide layout (one row per visit and time point) and a laboratory file in long layout (one row per
test) with the laboratory's own test codes, units and normal ranges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STUDY = "HTN201"
SCREENED = 56                  # subjects who signed consent
SCREEN_FAILURES = 8
NOT_TREATED = 1                # randomised, withdrew before the first dose
SITES = ("101", "102", "103")
SITE_SHARE = (0.40, 0.35, 0.25)
METRIC_SITE = "103"            # the site whose scale reads kilograms
FIRST_CONSENT = dt.date(2023, 1, 9)
ENROLMENT_DAYS = 180


@dataclass(frozen=True)
class Arm:
    code: str                  # as the randomisation export writes it
    dose: int                  # mg once daily
    sbp_drop: float            # mean fall in seated systolic BP at week 12 (mmHg)
    dbp_drop: float


ARMS = (Arm("ZX-101 5 mg", 5, 9.0, 5.0), Arm("ZX-101 10 mg", 10, 14.0, 8.0))


@dataclass(frozen=True)
class Visit:
    raw: str                   # the EDC's folder name (InstanceName)
    day: int                   # planned study day
    jitter: int                # +/- days the visit may fall from the planned day
    timepoints: bool           # vital signs pre-dose and 2 h post-dose
    labs: bool


VISITS = (
    Visit("V1 Screening", -14, 0, False, True),
    Visit("V2 Day 1", 1, 0, True, True),
    Visit("V3 Week 2", 15, 2, False, False),
    Visit("V4 Week 4", 29, 3, False, True),
    Visit("V5 Week 8", 57, 3, False, False),
    Visit("V6 Week 12", 85, 3, True, True),
    Visit("V7 Follow-up", 99, 3, False, False),
)
DAY1, WEEK12, FOLLOW_UP = 1, 5, 6          # positions in VISITS


@dataclass(frozen=True)
class LabTest:
    code: str                  # the laboratory's own test code
    name: str
    unit: str
    low: float | None
    high: float | None
    mean: float
    sd: float
    decimals: int
    specimen: str


LAB_TESTS = (
    LabTest("GLU", "Glucose, fasting", "mg/dL", 70, 99, 101, 14, 0, "SERUM"),
    LabTest("CREA", "Creatinine", "mg/dL", 0.6, 1.2, 0.95, 0.18, 2, "SERUM"),
    LabTest("K", "Potassium", "mEq/L", 3.5, 5.1, 4.3, 0.35, 1, "SERUM"),
    LabTest("NA", "Sodium", "mEq/L", 136, 145, 140, 2.4, 0, "SERUM"),
    LabTest("CHOL", "Cholesterol, total", "mg/dL", 125, 200, 196, 32, 0, "SERUM"),
    LabTest("ALT", "ALT (SGPT)", "U/L", 7, 56, 27, 11, 0, "SERUM"),
    LabTest("A1C", "Hemoglobin A1c", "%", 4.0, 5.6, 5.5, 0.45, 1, "BLOOD"),
)


@dataclass(frozen=True)
class Coding:
    """A coded term at every dictionary level, as the EDC's coding module exports it.  The
    codes are the sponsor dictionary's own (no MedDRA release is shipped); the lowest level
    term is the preferred term's own LLT."""
    pt: str
    ptcd: str
    hlt: str
    hltcd: str
    hlgt: str
    hlgtcd: str
    soc: str
    soccd: str


@dataclass(frozen=True)
class AeTerm:
    verbatim: tuple[str, ...]  # as sites write it
    coding: Coding
    weight: float              # relative frequency

    @property
    def pt(self) -> str:
        return self.coding.pt

    @property
    def soc(self) -> str:
        return self.coding.soc


_NERV, _NERVCD = "Nervous system disorders", "95000008"
_GEN, _GENCD = "General disorders and administration site conditions", "95000003"
_VASC, _VASCCD = "Vascular disorders", "95000012"
AE_TERMS = (
    AeTerm(("Headache", "headache", "HA"),
           Coding("Headache", "92000022", "Headaches NEC", "93000015", "Headaches", "94000009",
                  _NERV, _NERVCD), 5),
    AeTerm(("Dizziness", "dizzy", "Light-headed"),
           Coding("Dizziness", "92000016", "Neurological signs and symptoms NEC", "93000028",
                  "Neurological disorders NEC", "94000016", _NERV, _NERVCD), 4),
    AeTerm(("Ankle swelling", "Swollen ankles", "Peripheral edema"),
           Coding("Oedema peripheral", "92000046", "Oedema NEC", "93000038",
                  "General system disorders NEC", "94000008", _GEN, _GENCD), 3),
    AeTerm(("Fatigue", "Tiredness"),
           Coding("Fatigue", "92000020", "Asthenic conditions", "93000003",
                  "General system disorders NEC", "94000008", _GEN, _GENCD), 2),
    AeTerm(("Common cold", "URI"),
           Coding("Nasopharyngitis", "92000034", "Upper respiratory tract infections",
                  "93000033", "Infections - pathogen unspecified", "94000011",
                  "Infections and infestations", "95000004"), 3),
    AeTerm(("Dry cough", "Cough"),
           Coding("Cough", "92000013", "Coughing and associated symptoms", "93000006",
                  "Respiratory disorders NEC", "94000019",
                  "Respiratory, thoracic and mediastinal disorders", "95000010"), 2),
    AeTerm(("Nausea",),
           Coding("Nausea", "92000035", "Nausea and vomiting symptoms", "93000027",
                  "Gastrointestinal signs and symptoms", "94000007",
                  "Gastrointestinal disorders", "95000002"), 1.5),
    AeTerm(("Low blood pressure", "Hypotension"),
           Coding("Hypotension", "92000047", "Vascular hypotensive disorders", "93000039",
                  "Decreased and nonspecific blood pressure disorders and shock", "94000025",
                  _VASC, _VASCCD), 1),
    AeTerm(("Flushing", "Facial flushing"),
           Coding("Flushing", "92000048", "Peripheral vascular disorders NEC", "93000040",
                  "Vascular disorders NEC", "94000026", _VASC, _VASCCD), 1),
)
SEVERITY = ("Mild", "Moderate", "Severe")
RELATION = ("Not Related", "Unlikely Related", "Possibly Related", "Probably Related")
OUTCOME_DONE, OUTCOME_ONGOING = "Recovered/Resolved", "Not Recovered/Not Resolved"

SCREEN_FAIL_CRITERIA = (("IN03", "INCLUSION", "Seated SBP 140-179 mmHg at screening"),
                        ("IN04", "INCLUSION", "eGFR 60 mL/min/1.73m2 or more"),
                        ("EX02", "EXCLUSION", "Secondary hypertension"))
