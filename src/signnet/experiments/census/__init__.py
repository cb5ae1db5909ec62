"""The census experiment (Q&A seed 000: do ReLU networks end up with negative weights?).

* :mod:`.run`: trains the grid of networks and returns :class:`.results.CensusResults`
  (``run``), or runs and writes the report (``run_census``, the CLI's entry point);
* :mod:`.results`: the typed results, every field described (the ``results.json`` schema);
* :mod:`.verdicts`: the summary numbers and the verdicts computed from them;
* :mod:`.report`: figures, ``results.json`` and ``index.html`` (templates in ``templates/``).
"""
