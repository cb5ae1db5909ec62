"""Studies: self-contained experiments that write results.json, figures and an HTML report.

Each module exposes ``run_<study>(out, *, seed=0, quick=False, progress=True) -> dict`` and
``section_html(out_dir) -> str`` (the report section, read back from ``out_dir``):

* :mod:`signnet.studies.census`: do ReLU networks end up with negative weights? (Q&A seed 000)
* :mod:`signnet.studies.zigzag`: all-positive inputs give same-sign gradients (Q&A seed 002)
* :mod:`signnet.studies.positive_output`: see its module docstring
"""
