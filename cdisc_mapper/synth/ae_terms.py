"""The adverse-event terms the generator reports: coded term, verbatim spellings and behaviour.

Every ``llt`` here is a row of the sponsor dictionary ``mappings/dictionaries/ae_dictionary.csv``
(a test checks it).  Verbatim spellings are what sites type, typos included.
"""

from __future__ import annotations

from dataclasses import dataclass

INFUSION = "infusion"   # starts on an infusion day or the day after; infusion-related reaction
GENERAL = "general"     # any time during the study
SERIOUS = "serious"     # serious, not related; only placed on purpose

# the seriousness criteria of the SAE form (CDASH), in the order the form asks them
CRITERIA = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")


@dataclass(frozen=True)
class AeTerm:
    llt: str
    kind: str
    weight: float
    verbatims: tuple[str, ...]
    criteria: tuple[str, ...] = ()   # the criteria (of CRITERIA) a serious event of it meets


TERMS: tuple[AeTerm, ...] = (
    AeTerm("Infusion related reaction", INFUSION, 3.0,
           ("Infusion related reaction", "infusion reaction", "Infusion-related reaction")),
    AeTerm("Chills", INFUSION, 2.5, ("Chills", "chilling", "CHILLS", "chils")),
    AeTerm("Fever", INFUSION, 2.5, ("Fever", "fever", "Pyrexia", "feverish (37.9C)")),
    AeTerm("Infusion site pain", INFUSION, 1.5, ("Infusion site pain", "pain at IV site")),
    AeTerm("Infusion site erythema", INFUSION, 1.0,
           ("Infusion site erythema", "redness at IV site")),
    AeTerm("Infusion site swelling", INFUSION, 0.6, ("Infusion site swelling", "IV site swelling")),
    AeTerm("Infusion site bruising", INFUSION, 0.6,
           ("Bruise at infusion site", "IV site bruising")),
    AeTerm("Headache", GENERAL, 5.0, ("Headache", "Haedache", "headache", "HEADACHE", "Headach")),
    AeTerm("Tension headache", GENERAL, 0.8, ("Tension headache", "tension type headache")),
    AeTerm("Dizziness", GENERAL, 1.5, ("Dizziness", "Dizzines", "dizzy")),
    AeTerm("Fatigue", GENERAL, 1.5, ("Fatigue", "fatique", "FATIGUE")),
    AeTerm("Tiredness", GENERAL, 0.8, ("Tiredness", "tired")),
    AeTerm("Nasopharyngitis", GENERAL, 5.0,
           ("Nasopharyngitis", "nasopharingitis", "Naso-pharyngitis", "NASOPHARYNGITIS")),
    AeTerm("Common cold", GENERAL, 2.5, ("Common cold", "common cold", "cold")),
    AeTerm("Upper respiratory tract infection", GENERAL, 3.0,
           ("Upper respiratory tract infection", "URI", "upper respiratory infection", "URTI")),
    AeTerm("Influenza", GENERAL, 0.8, ("Influenza", "Flu", "influenza A")),
    AeTerm("COVID-19", GENERAL, 1.5, ("COVID-19", "covid 19 infection", "Covid19")),
    AeTerm("Folliculitis", GENERAL, 1.2, ("Folliculitis", "folliculitis on thigh", "Foliculitis")),
    AeTerm("Oral herpes", GENERAL, 0.8, ("Oral herpes", "herpes labialis", "Cold sore")),
    AeTerm("Pruritus", GENERAL, 2.5, ("Pruritus", "pruritis", "PRURITUS")),
    AeTerm("Itching", GENERAL, 1.5, ("Itching", "itchiness", "Itchy skin")),
    AeTerm("Atopic dermatitis flare", GENERAL, 3.0,
           ("Atopic dermatitis flare", "AD flare", "flare up of atopic dermatitis", "AD flare-up")),
    AeTerm("Atopic dermatitis aggravated", GENERAL, 1.5,
           ("Worsening of atopic dermatitis", "Aggravation of AD", "atopic dermatitis aggravated")),
    AeTerm("Urticaria", GENERAL, 1.5, ("Urticaria", "urticaria", "Hives", "urticara")),
    AeTerm("Rash", GENERAL, 1.0, ("Rash", "skin rash", "rash on arms")),
    AeTerm("Dry skin", GENERAL, 0.8, ("Dry skin", "xerosis", "dry skin")),
    AeTerm("Acne", GENERAL, 0.8, ("Acne", "acne on face")),
    AeTerm("Nausea", GENERAL, 1.2, ("Nausea", "nausia", "NAUSEA")),
    AeTerm("Vomiting", GENERAL, 0.5, ("Vomiting", "vomitting")),
    AeTerm("Diarrhoea", GENERAL, 1.0, ("Diarrhea", "diarrhoea", "Diarrhoea", "loose stool")),
    AeTerm("Abdominal pain upper", GENERAL, 0.6, ("Epigastric pain", "upper abdominal pain")),
    AeTerm("Dyspepsia", GENERAL, 0.8, ("Dyspepsia", "indigestion")),
    AeTerm("Myalgia", GENERAL, 1.2, ("Myalgia", "muscle pain", "Myalgia (both legs)")),
    AeTerm("Back pain", GENERAL, 1.0, ("Back pain", "low back pain", "LBP")),
    AeTerm("Arthralgia", GENERAL, 0.6, ("Arthralgia", "joint pain", "Athralgia")),
    AeTerm("Cough", GENERAL, 1.2, ("Cough", "cough", "coughing")),
    AeTerm("Sore throat", GENERAL, 1.5, ("Sore throat", "sore throat", "Throat pain")),
    AeTerm("Rhinorrhoea", GENERAL, 0.8, ("Runny nose", "rhinorrhea")),
    AeTerm("Blood pressure increased", GENERAL, 0.5, ("BP increased", "Blood pressure high")),
    AeTerm("Alanine aminotransferase increased", GENERAL, 0.5, ("ALT increased", "ALT elevation")),
    AeTerm("Insomnia", GENERAL, 0.8, ("Insomnia", "Insomia", "difficulty sleeping")),
    AeTerm("Conjunctivitis allergic", GENERAL, 0.6,
           ("Allergic conjunctivitis", "Conjunctivitis allergic")),
    AeTerm("Contusion", GENERAL, 0.5, ("Contusion", "bruise on left knee")),
    AeTerm("Appendicitis", SERIOUS, 1.0, ("Acute appendicitis", "Appendicitis"),
           ("AESHOSP",)),
    AeTerm("Ankle fracture", SERIOUS, 1.0, ("Fracture of right ankle", "Ankle fracture"),
           ("AESHOSP",)),
)
