"""The kernel of the language shared by SDTM mappings and ADaM specs.

One grammar for conditions (:mod:`.conditions`), operands — the constants and references that
are set or compared (:mod:`.values`) — date and time parsing in the formats EDC systems export
(:mod:`.datetimes`) and text operations (:mod:`.text`).  The SDTM methods
(``cdisc_mapper.methods``) and the ADaM derivations (``cdisc_mapper.adam``) build their schemas
from these fragments and evaluate through these functions, so a user learns one language.
Nothing here runs code written in a mapping file: every construct is a closed vocabulary.
"""
