"""The monotone benchmark: every model under one protocol on real tabular data.

* :mod:`.models`: the models behind one interface (name -> factory(task, cst, seed)).
* :mod:`.peers`: monotonicnetworks' Lipschitz monotonic network as an estimator (optional).
* :mod:`.protocol`: seeded splits, validation carved from training, scores, audit, ceiling.
* :mod:`.run`: ``signnet benchmark``; :mod:`.results` the typed results; :mod:`.verdicts` the claims;
  :mod:`.report` and ``templates/`` the figures and the HTML page.
"""
