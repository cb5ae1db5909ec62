"""Figures and the HTML page of ``signnet reproduce`` (what it shows is computed in :mod:`.run`).

:func:`write_report` writes, in one folder, ``figure1.png`` (laid out like the
paper's Figure 1: one row per panel; columns data, trained DNN+, the DNN+ built
to reach the ceiling, the hand-built flipped network drawn with its negative
weights in red, its decision, the trained flipped network's decision, DNN),
``softmax.png``, ``continuous.png``, ``results.json`` (the results dataclass and
the provenance block of :func:`signnet.report.artifacts.run_metadata`) and
``index.html`` (jinja2 templates in ``templates/``, one per section). Every
file is written whole, and all of them are moved into ``out`` only once all
succeeded. The PNGs are embedded in the HTML, which therefore opens offline.
Nothing here changes a number: the report only displays the results and their
verdicts.
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from dataclasses import asdict
from pathlib import Path

from markupsafe import Markup
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from signnet.experiments.figure1.results import Figure1Results
from signnet.experiments.figure1.run import ReproduceConfig, held_out_seed
from signnet.experiments.figure1.verdicts import SOLVED
from signnet.report.artifacts import atomic_write_json, atomic_write_text, save_figure
from signnet.report.plotting import CLASS_COLORS, POINT_COLORS, new_figure, plot_decision, plot_network
from signnet.report.render import number, render

FILES = ("figure1.png", "softmax.png", "continuous.png", "results.json", "index.html")


def class_key(fig, *, regions: bool = True) -> None:
    """A colour key under the figure: region and point colours of class 0 and class 1, the decision boundary."""
    handles = []
    if regions:
        handles += [Patch(color=CLASS_COLORS[0], alpha=0.8, label="predicted class 0"),
                    Patch(color=CLASS_COLORS[1], alpha=0.8, label="predicted class 1"),
                    Line2D([], [], color="k", lw=0.8, label="decision boundary")]
    handles += [Line2D([], [], ls="", marker="o", color=POINT_COLORS[0], label="test point, class 0"),
                Line2D([], [], ls="", marker="o", color=POINT_COLORS[1], label="test point, class 1")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=10,
               bbox_to_anchor=(0.5, -0.01))


RESOLUTION = 150  # grid points per side of a decision plot (each axis is about 250 px wide)


def _decision(ax, model, X, y, title, **kw) -> None:
    plot_decision(ax, model, X, y, title, resolution=RESOLUTION, **kw)


def _hidden(h: list[int]) -> str:
    return "x".join(map(str, h))


def verdict_counts(verdicts: list[dict]) -> dict[str, int]:
    """How many verdicts hold, fail and are inconclusive: ``{"holds": 20, "fails": 11, "inconclusive": 1}``."""
    return {status: sum(v["status"] == status for v in verdicts) for status in ("holds", "fails", "inconclusive")}


def figure_title(r: dict) -> str:
    """The title of ``figure1.png``: "reproduced" only when every verdict of the run holds, else the counts."""
    counts = verdict_counts(r["verdicts"])
    what = "reproduced" if counts["holds"] == len(r["verdicts"]) else (
        f"measured ({counts['holds']} of {len(r['verdicts'])} verdicts hold)")
    return f"Figure 1 of Wang et al., {what}: DNN+ (weights >= 0) trained and built, flipped weights, DNN"


def reproduce_command(r: dict) -> tuple[str, bool]:
    """The command that repeats the run of ``r`` (from its stored seed and config), and whether ``r``'s settings
    differ from that command's (a run made through the Python API with other settings).

    Example: ``("signnet reproduce --seed 5 --seeds 1 --quick", False)``.
    """
    cfg = r.get("config") or {}
    quick = bool(cfg.get("quick"))
    command = f"signnet reproduce --seed {r['seed']} --seeds {cfg.get('seeds')}" + (" --quick" if quick else "")
    base = asdict(ReproduceConfig.quick_config() if quick else ReproduceConfig())
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in {**base, "seeds": cfg.get("seeds")}.items()}
    custom = any((list(cfg.get(k)) if isinstance(cfg.get(k), tuple) else cfg.get(k)) != v for k, v in plain.items())
    return command, custom


def figure1_png(models: dict, r: dict, path: Path) -> Path:
    """Draw the Figure 1 grid (rows A, B, C, control) to ``path``."""
    keys = list(models["panels"])
    fig, axes = new_figure(len(keys), 7, size=2.3)
    for row, key in enumerate(keys):
        m, p = models["panels"][key], r["panels"][key]
        X, y = m["data"]
        ax = axes[row]
        wide, built = p["dnn_plus"]["wide"], p["dnn_plus_constructed"]
        units = built["hidden"][0]
        reached = " = ceiling" if built["accuracy"] == p["ceiling"] else ""
        title = textwrap.fill(f"{key}: {p['title'].removesuffix(' (control)')}", 30)
        _decision(ax[0], None, X, y, f"{title}\nceiling {number(p['ceiling'])}")
        _decision(ax[1], m["dnn_plus_wide"], X, y, f"trained DNN+ {_hidden(wide['hidden'])}\n"
                                                   f"mean {number(wide['accuracy_mean'])}")
        _decision(ax[2], m["dnn_plus_constructed"], X, y, f"built DNN+ ({units} ReLU unit{'s' * (units > 1)})\n"
                                                          f"{number(built['accuracy'])}{reached}")
        plot_network(ax[3], m["flipped_hand"],
                     f"hand-built flipped network\n{p['flipped_hand']['negative_weights']} weight(s) < 0 (red)")
        _decision(ax[4], m["flipped_hand"], X, y, f"hand-built flipped\n{number(p['flipped_hand']['accuracy'])}")
        _decision(ax[5], m["flipped_trained"], X, y,
                  f"trained flipped (first seed)\n{number(p['flipped_trained']['accuracies'][0])}")
        _decision(ax[6], m["dnn"], X, y,
                  f"trained DNN, {p['width']} units\n(first seed) {number(p['dnn']['accuracies'][0])}")
    fig.suptitle(figure_title(r), fontsize=12)
    fig.subplots_adjust(hspace=0.5, bottom=0.06)
    class_key(fig)
    return save_figure(fig, path)


def softmax_png(models: dict, r: dict, path: Path) -> Path:
    """The softmax loophole: one-logit DNN+ (trained, built) vs two-logit DNN+ on XOR."""
    m, s = models["softmax"], r["softmax"]
    X, y = m["data"]
    fig, axes = new_figure(1, 4, size=3.0)
    _decision(axes[0, 0], None, X, y, f"XOR clusters, ceiling {number(s['ceiling'])}")
    _decision(axes[0, 1], m["binary"], X, y, f"trained DNN+, one logit: {number(s['binary_accuracy'])}")
    _decision(axes[0, 2], m["constructed"], X, y,
                  f"built DNN+, one logit: {number(s['dnn_plus_constructed']['accuracy'])}")
    _decision(axes[0, 3], m["softmax"], X, y, f"trained DNN+, softmax\nover 2 logits: {number(s['softmax_accuracy'])}")
    fig.subplots_adjust(bottom=0.12)
    class_key(fig)
    return save_figure(fig, path)


CONTINUOUS_ROWS = (("dnn_plus", "trained DNN+ ReLU"), ("dnn_plus_tanh", "trained DNN+ tanh"),
                   ("dnn_plus_constructed", "built DNN+ ReLU"), ("dnn_plus_tanh_constructed", "built DNN+ tanh"),
                   ("dnn", "trained DNN"))


def continuous_png(models: dict, r: dict, path: Path) -> Path:
    """Wide networks on the continuous problems: one column per problem, one row per network."""
    names = list(models["continuous"])
    fig, axes = new_figure(len(CONTINUOUS_ROWS) + 1, len(names), size=2.2)
    for col, name in enumerate(names):
        m, c = models["continuous"][name], r["continuous"][name]
        X, y = m["data"]
        _decision(axes[0, col], None, X, y, f"{name}\nceiling {number(c['ceiling'])}", lim=1.0)
        for row, (kind, label) in enumerate(CONTINUOUS_ROWS, start=1):
            acc = c[kind]["accuracy"] if isinstance(c[kind], dict) else c[kind]
            _decision(axes[row, col], m[kind], X, y, f"{label}\n{number(acc)}", lim=1.0)
    fig.suptitle("Continuous problems (test sets): rows are networks, columns problems", fontsize=12)
    fig.subplots_adjust(hspace=0.35, bottom=0.05)
    class_key(fig)
    return save_figure(fig, path, dpi=100)


def _section(name: str, **ctx) -> Markup:
    return Markup(render(f"figure1/{name}.html.j2", **ctx))


def render_html(r: dict, out: Path) -> str:
    """The report page from the results dict ``r``; images are read from ``out`` and embedded."""
    verdicts = r["verdicts"]
    group: dict[str, list[dict]] = {}
    for v in verdicts:
        group.setdefault(v["key"].split(".")[0], []).append(v)
    sections = [
        _section("claims", verdicts=[v for v in verdicts if not v["key"].startswith("continuous.")],
                 all_verdicts=verdicts, solved=SOLVED),
        _section("figure", figure=out / "figure1.png"),
        _section("table", r=r),
        *[_section("panel", key=key, p=p, verdicts=group.get(key, [])) for key, p in r["panels"].items()],
        _section("softmax", s=r["softmax"], figure=out / "softmax.png", verdicts=group.get("softmax", [])),
        _section("continuous", r=r, figure=out / "continuous.png", verdicts=group.get("continuous", [])),
        _section("reproduce", r=r, command=reproduce_command(r), test_seed=held_out_seed(r["seed"])),
    ]
    return render("page.html.j2", title="signnet: why do networks need negative weights?", intro=_quick_paragraph(r),
                  sections=sections, footer="Generated by signnet; self-contained, opens offline.")


def _quick_paragraph(r: dict) -> Markup | str:
    text = quick_notice(r)
    return Markup(render("figure1/quick.html.j2", text=text)) if text else ""


def quick_notice(r: dict) -> str:
    """The sentence that marks a ``--quick`` run (empty for a full one)."""
    cfg = r.get("config") or {}
    if not cfg.get("quick"):
        return ""
    wide = "x".join(str(w) for w in cfg.get("wide", []))
    return (f"Quick mode: {cfg.get('seeds')} seed(s), {cfg.get('epochs')} epochs, {cfg.get('n_train')} training "
            f"points, wide networks {wide}. The numbers are indicative, and a failing training verdict may only mean "
            "that the run was too short; run without --quick for the report's measurements.")


def results_json(results: Figure1Results, metadata: dict | None = None) -> dict:
    """What ``results.json`` holds: the results dataclass, then the provenance block (which wins on ``config``)."""
    return {**results.to_dict(), **(metadata or {})}


def write_report(results: Figure1Results, models: dict, out: Path, metadata: dict | None = None) -> Path:
    """Write the PNGs, ``results.json`` and ``index.html`` to ``out``; returns the page's path.

    Args:
        results: what :func:`.run.run_all` returned.
        models: the networks to draw (from :func:`.run.run_all`).
        out: the output folder.
        metadata: the provenance block (:func:`signnet.report.artifacts.run_metadata`).

    Everything is rendered into a temporary folder beside ``out`` first and moved
    into ``out`` only when all of it succeeded, each file by an atomic rename: a
    failure leaves ``out`` as it was.
    """
    out = Path(out)
    r = results_json(results, metadata)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        stage = Path(tmp)
        figure1_png(models, r, stage / "figure1.png")
        softmax_png(models, r, stage / "softmax.png")
        continuous_png(models, r, stage / "continuous.png")
        atomic_write_json(stage / "results.json", r)
        atomic_write_text(stage / "index.html", render_html(r, stage))
        out.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            os.replace(stage / name, out / name)
    return out / "index.html"


def section_html(out_dir) -> str:
    """The Figure 1 ``<section>`` of the combined report (``reproduce --all``), read back from ``out_dir``."""
    out_dir = Path(out_dir)
    r = json.loads((out_dir / "results.json").read_text())
    return render("figure1/combined.html.j2", r=r, figure=out_dir / "figure1.png", folder=out_dir.name,
                  quick=quick_notice(r))
