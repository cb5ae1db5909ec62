"""The positive-output study (Q&A seed 003): forcing a network's outputs to be non-negative.

* :mod:`.methods` — the task, the shared initial network, the penalty and transform methods;
* :mod:`.lagrangian` — Lagrange multipliers with cooper-optim, inequality and slack forms;
* :mod:`.run` — trains and measures every method, computes the verdicts (:func:`.run.compute`),
  and the entry point :func:`.run.run_positive_output` the command line and ``reproduce --all`` call;
* :mod:`.verdicts` — the claims, each checked against the numbers of the run;
* :mod:`.results` — the typed results, the one source of the ``results.json`` schema;
* :mod:`.figures`, :mod:`.report` and ``templates/`` — the figures and the HTML report.
"""
