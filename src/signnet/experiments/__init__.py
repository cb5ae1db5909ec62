"""Experiments: Figure 1, the three Q&A studies and the budget study, each split the same way.

Each experiment is a folder: ``run.py`` computes and returns a typed results
dataclass (``results.py``) whose verdicts are computed from the numbers of the
same run (:class:`signnet.experiments.results.Verdict`); ``report.py`` and
``templates/`` turn it into results.json, PNG figures and a self-contained
index.html. :mod:`signnet.experiments.registry` lists them for the command line
and ``signnet reproduce --all``.

* :mod:`signnet.experiments.figure1`: the paper's Figure 1 (``signnet reproduce``)
* :mod:`signnet.experiments.census`: do ReLU networks end up with negative weights? (Q&A seed 000)
* :mod:`signnet.experiments.zigzag`: all-positive inputs give same-sign gradients (Q&A seed 002)
* :mod:`signnet.experiments.positive_output`: forcing non-negative outputs (Q&A seed 003)
* :mod:`signnet.experiments.budget`: how many negative weights each problem needs (a sweep, :mod:`signnet.sweep`)
"""
