"""The budget study: how many negative weights does each problem need?

* :mod:`.run` — :func:`~.run.compute_budget` (runs or reads the sweep, typed results) and
  :func:`~.run.run_budget` (the entry point of ``signnet budget`` and ``reproduce --all``);
* :mod:`.construct` — the paper's hand-built networks and signnet's two-flip network for panel B;
* :mod:`.results` — the typed results, the one source of the ``results.json`` schema;
* :mod:`.verdicts` — the claims checked (theorem, training, construction), computed from the numbers;
* :mod:`.report` and ``templates/`` — the figure, ``results.json`` and the HTML page.

The sweep itself is :mod:`signnet.sweep` with the specs shipped in ``signnet/sweep/specs/``.
"""
