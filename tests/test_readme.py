"""The README's tour runs as written and prints what it claims."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour() -> str:
    text = README.read_text()
    section = text[text.index("## A short tour"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_tour_runs_and_its_comments_hold():
    namespace: dict = {}
    code = _tour().replace("epochs=500", "epochs=60")  # the claims below do not depend on training length
    exec(compile(code, str(README), "exec"), namespace)
    signnet, data, net = namespace["signnet"], namespace["data"], namespace["net"]
    stated = re.search(r"monotone_ceiling\(data.X, data.y\).accuracy +# ([0-9.]+):", _tour()).group(1)
    assert signnet.monotone_ceiling(data.X, data.y).accuracy == float(stated)
    assert signnet.certify(net).monotone == [[1, 1]]
    assert signnet.dominance_violations(net, data.X).violations == 0
    assert signnet.find_violation(net, (-1.0, 1.0)) is None
    assert namespace["layer"].sign_mask[0, 1] == -1


def test_readme_shows_the_two_commands_first():
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    assert first_block.splitlines()[0].startswith("make run")
    assert first_block.splitlines()[1].startswith("make test")
