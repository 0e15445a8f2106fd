"""cdisc_mapper: declarative CRF-to-CDISC conversion (SDTM, ADaM, Define-XML, validation)."""

__version__ = "0.1.0"
