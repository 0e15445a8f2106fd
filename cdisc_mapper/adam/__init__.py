"""ADaM from declarative specs: SDTM (as written) to ADaMIG 1.3 datasets.

* :mod:`~cdisc_mapper.adam.registry` — the closed vocabulary of derivation methods, named as in
  admiral and grouped by family (:mod:`.merge`, :mod:`.assign`, :mod:`.flags`, :mod:`.baseline`,
  :mod:`.params`, :mod:`.records`, :mod:`.dates`, :mod:`.occds`);
* :mod:`~cdisc_mapper.adam.schema` and :mod:`~cdisc_mapper.adam.loader` — the spec files and the
  study's ``analysis_overrides``;
* :mod:`~cdisc_mapper.adam.engine` — plan (check), derive, finalise;
* :func:`~cdisc_mapper.adam.run.convert_adam` — write the datasets, all or nothing.
"""
