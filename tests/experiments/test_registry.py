"""The registry of experiments: every entry resolves, and the command line offers what it lists."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from signnet.cli.main import build_parser
from signnet.errors import SignnetError
from signnet.experiments.registry import EXPERIMENTS, Experiment, get, names

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.parametrize("exp", EXPERIMENTS, ids=[e.name for e in EXPERIMENTS])
def test_every_entry_resolves_to_a_run_and_a_section_function(exp):
    run, section = exp.load_run(), exp.load_section()
    params = inspect.signature(run).parameters
    assert {"seed", "quick", "progress"} <= set(params)
    assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in ("seed", "quick", "progress"))
    assert all(opt.keyword in params for opt in exp.options)
    assert len(inspect.signature(section).parameters) == 1


def test_names_are_unique_and_figure1_comes_first():
    assert names()[0] == "figure1"
    assert len(set(names())) == len(EXPERIMENTS)
    assert get("census").module == "signnet.experiments.census.run"
    with pytest.raises(SignnetError, match=r"^Unknown experiment 'iris'; choose one of: figure1, census, zigzag"):
        get("iris")


def test_every_study_with_a_command_is_a_sub_command_and_figure1_is_reproduce():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)
    assert {e.name for e in EXPERIMENTS if e.command} <= commands
    assert "figure1" not in commands and "reproduce" in commands
    assert "--seeds" in sub.choices["reproduce"].format_help()


def test_building_the_command_line_imports_no_experiment():
    code = ("import sys; from signnet.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('signnet.experiments.')))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['signnet.experiments.registry']"


def test_a_function_may_live_in_another_module():
    exp = Experiment(name="x", title="x", module="signnet.experiments.runner", run="run_figure1",
                     section="signnet.report.render:number", help="h", description="d", quick="q")
    from signnet.report import render

    assert exp.load_section() is render.number
