"""Data: the paper's problems (Definition 1.4, Corollaries 1.1.1-1.1.3), Figure 1 panels, bundled data sets.

* :mod:`.problems` — :func:`make_problem` and the problem registry.
* :mod:`.figure1` — the four panels of Figure 1: clusters, flips, hand-built weights.
* :mod:`.datasets` — scikit-learn's bundled data sets, standardised and split.
* :mod:`.tabular` — real tabular data sets of the monotone-network literature with their ``monotonic_cst``.
"""

from signnet.data.datasets import DATASETS, load_dataset
from signnet.data.figure1 import PANELS, get_panel, panel_data
from signnet.data.problems import CONTROL_PROBLEMS, HARD_PROBLEMS, PROBLEMS, make_problem
from signnet.data.tabular import TABULAR_DATASETS, TabularData, load_tabular

__all__ = ["CONTROL_PROBLEMS", "DATASETS", "HARD_PROBLEMS", "PANELS", "PROBLEMS", "get_panel", "load_dataset",
           "make_problem", "panel_data"]
__all__ += ["TABULAR_DATASETS", "TabularData", "load_tabular"]
