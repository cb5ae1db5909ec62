"""The zig-zag study (Q&A seed 002): all-positive inputs give same-sign weight gradients.

* :mod:`.run` — what it runs: :func:`~.run.compute_zigzag` (typed results, no files) and
  :func:`~.run.run_zigzag` (the entry point of ``signnet zigzag`` and ``reproduce --all``);
* :mod:`.gradients` (sign coherence), :mod:`.trajectory` (two-weight descent), :mod:`.seeds`;
* :mod:`.results` — the typed results, the one source of the ``results.json`` schema;
* :mod:`.verdicts` — the claims checked, computed from the numbers;
* :mod:`.report` and ``templates/`` — figures, ``results.json`` and the HTML page.
"""
