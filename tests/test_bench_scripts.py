"""Every script in bench/ imports against the current package (a renamed helper breaks `make bench`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def test_bench_folder_has_scripts():
    assert len(SCRIPTS) >= 5, f"expected the benchmark scripts in {BENCH}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_bench_script_imports(script, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # runs the imports and definitions, not main()
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"


def test_tune_defaults_peer_grid_builds_hgb_as_the_estimators_are_fitted(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_tune_defaults", BENCH / "tune_defaults.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    hgb = module.make_model("hgb", "binary", [1, 0, -1], seed=7)
    assert type(hgb).__name__ == "HistGradientBoostingClassifier"
    assert (list(hgb.monotonic_cst), hgb.early_stopping, hgb.random_state) == ([1, 0, -1], True, 7)
    net = module.make_model(module.PEER["elu alpha1e-3 (current)"], "regression", [1, 0, -1], seed=7)
    assert type(net).__name__ == "MonotoneRegressor"
    assert (net.activation, net.alpha, net.n_networks, net.random_state) == ("elu", 1e-3, 8, 7)
