"""The README's estimator example runs as written and prints what it claims."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text[text.index("### Monotone models for practitioners"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_estimator_example_runs_and_its_comments_hold():
    import signnet

    namespace: dict = {"signnet": signnet}
    exec(compile(_example(), str(README), "exec"), namespace)
    cars, reg, mpg = namespace["cars"], namespace["reg"], namespace["mpg"]
    assert cars.X.shape == (392, 9) and mpg.shape == (392,)
    summary = signnet.certify(reg).cst_summary()
    assert summary.startswith("Proves displacement non-increasing, horsepower non-increasing, weight non-increasing; "
                              "proves nothing about cylinders, ")
    assert signnet.certify(reg).satisfies_monotonic_cst is True
    data, clf = namespace["data"], namespace["clf"]
    assert data.X.shape == (6172, 13)
    assert clf.predict_proba(data.X[:2]).shape == (2, 2)
    assert signnet.certify(clf).satisfies_monotonic_cst is True
    assert clf.n_iter_ < clf.max_iter  # early stopping ended the run
