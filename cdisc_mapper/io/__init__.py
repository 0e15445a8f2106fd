"""Submission file formats: SAS transport v5 (XPT) and CDISC Dataset-JSON 1.1.

* :func:`check_xpt`, :func:`write_xpt` — XPT v5 checks and writer (returns the spec with the
  lengths as written);
* :func:`read_xpt_header`, :func:`read_xpt_library`, :func:`read_xpt_records` — an independent
  TS-140 reader, for tests and the validator;
* :func:`write_dataset_json`, :func:`check_dataset_json`, :func:`read_dataset_json`;
* :mod:`cdisc_mapper.io.atomic` — every writer replaces its output atomically.
"""

from cdisc_mapper.io.atomic import atomic_open, atomic_path, write_bytes_atomic, write_text_atomic
from cdisc_mapper.io.datasetjson import check_dataset_json, read_dataset_json, write_dataset_json
from cdisc_mapper.io.xpt import check_xpt, write_xpt, xpt_file_name
from cdisc_mapper.io.xpt_header import (XptLibrary, XptMember, XptVariable, read_xpt_header,
                                        read_xpt_library, read_xpt_records)

__all__ = [
    "atomic_open",
    "atomic_path",
    "write_bytes_atomic",
    "write_text_atomic",
    "check_xpt",
    "write_xpt",
    "xpt_file_name",
    "read_xpt_header",
    "read_xpt_library",
    "read_xpt_records",
    "XptLibrary",
    "XptMember",
    "XptVariable",
    "write_dataset_json",
    "check_dataset_json",
    "read_dataset_json",
]
