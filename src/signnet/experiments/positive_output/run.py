r"""Forcing a regression network's outputs to be non-negative: penalty, Lagrange multipliers, transforms.

The question (Q&A seed 003, "How to optimize the weights and bias in your neural
network in order to get as results only positive values?") asks how to make the
outputs of a network non-negative without putting a ReLU on the last layer. The
answer (K. Frank) lists three options:

1. **A penalty** added to the loss, ``loss + alpha * (relu(-pred)**2).sum()``:
   it "will not force the elements of pred to be positive, but it will
   encourage them to be positive"; a larger ``alpha`` pushes harder.
2. **An exact constrained problem** with slack variables ``pred - slack**2 == 0``
   and Lagrange multipliers, solved by descent on the weights and *ascent* on the
   multipliers, because "the optimum ... occurs at a saddle point"; and "using the
   Lagrange-multiplier technique will not force pred to be non-negative during
   the training process; only after the optimization has converged".
3. **An output transform**, ``relu()`` or "perhaps better" ``exp()``.

This study measures all three on one regression task whose unconstrained
least-squares fit predicts negative values.

Task. ``x ~ U(-2, 2)^4``, ``y = max(0, z(x) + eps)`` with
``z(x) = 1.2 sin(1.5 x1) + 0.8 x2 - 0.5 x3 x4 - 0.6`` and ``eps ~ N(0, noise^2)``:
a censored ("hinge") target, zero for about 60 % of the points. A ReLU MLP
``4 -> 128 -> 128 -> 1`` (signnet :class:`~signnet.networks.MLP`, free weights)
fitted by least squares oscillates around zero on the flat part, so it
predicts small negative values there. Every method starts from the same
initial weights (``torch.manual_seed(seed)``) and trains full batch with Adam,
learning rate ``lr`` with a cosine decay to ``lr_floor * lr``, for ``epochs``
epochs; the two Lagrangian methods get ``lagrangian_epochs``: they need them to
converge to the tolerance (and the wide network: with 16 hidden units the
hundreds of active constraints on the flat zero region have nearly identical
gradients, and descent-ascent stalls at violations of a few 1e-3).

Methods (``yhat_i = P_theta(x_i)`` the network output on training example ``i``,
``n`` training examples):

``none``
    ``f(theta) = (1/n) sum_i (yhat_i - y_i)^2``, no constraint.
``penalty_<alpha>``
    ``f(theta) + alpha * (1/n) sum_i relu(-yhat_i)^2``. Both terms are **means**
    (equivalently both sums), so ``alpha`` is the weight of the penalty relative
    to the squared error whatever ``n``; the Q&A's mean loss plus *summed*
    penalty corresponds to ``alpha * n`` here.
``lagrangian_inequality``
    ``min f(theta)`` subject to ``g_i(theta) = -yhat_i <= 0`` for every training
    example, one multiplier ``lambda_i >= 0`` per example. With
    ``f(theta) = sum_i (yhat_i - y_i)^2`` (a sum, so that each ``lambda_i`` is on the
    scale of a per-example residual; Adam's steps do not depend on the scale of
    ``f``), the Lagrangian and cooper's ``AlternatingDualPrimalOptimizer``
    (gradient ascent on the multipliers first, then descent on the weights with
    the new multipliers):

    .. math::

        L(\theta, \lambda) = f(\theta) + \sum_i \lambda_i g_i(\theta)

        \lambda_{t+1} = [\lambda_t + \eta_\lambda g(\theta_t)]_+

        \theta_{t+1} = \theta_t - \eta \nabla_\theta L(\theta_t, \lambda_{t+1})
        \quad (\text{an Adam step})

``lagrangian_slack``
    The Q&A's form: ``h_i(theta, s) = yhat_i - s_i^2 = 0`` (equality), one trainable
    slack ``s_i`` and one multiplier ``mu_i`` (of either sign) per example. Plain
    gradient descent-ascent on ``f + sum_i mu_i h_i`` does **not** settle: in
    ``(s_i, mu_i)`` the Lagrangian is ``-mu_i s_i^2``, a saddle with no damping
    (and unbounded below in ``s_i`` whenever ``mu_i > 0``), so the iterates circle
    and blow up; this is measured and reported as the diagnostic
    ``slack_plain_lagrangian`` (same step sizes, plain formulation). The method
    uses cooper's augmented Lagrangian formulation of the same constrained
    problem (the quadratic term is zero on the feasible set) and updates the
    multipliers every ``K = slack_dual_every`` steps with ``eta_mu = rho``, i.e.
    the method of multipliers: approximately minimise over the primal
    variables, then step the multipliers (cooper:
    ``ConstraintState(contributes_to_dual_update=False)`` on the other steps):

    .. math::

        L_\rho(\theta, s, \mu) = f(\theta) + \sum_i \mu_i h_i(\theta, s)
            + \frac{\rho}{2} \sum_i h_i(\theta, s)^2

        (\theta, s) \leftarrow (\theta, s) - \eta \nabla_{\theta, s} L_\rho(\theta, s, \mu)
        \quad (\text{Adam on } \theta, \text{ SGD on } s)

        \mu \leftarrow \mu + \eta_\mu h(\theta, s) \quad \text{every } K \text{ steps}

    ``s`` starts at ``sqrt(max(yhat_i, 0)) + 0.1``: the constraint nearly holds at
    the start, and no slack sits at ``s = 0``, where ``dL/ds = -2 s (mu + rho h)``
    vanishes. The same factor ``s`` slows the slacks of the zero-target points on
    their way to 0, so this method tends to end with a small positive margin
    (``yhat_i = s_i^2 > 0``) rather than exactly on the boundary.
``relu``, ``softplus``, ``exp``
    The prediction is ``t(P_theta(x))``; trained on the mean squared error. No
    prediction can be negative. A ReLU output passes no gradient where its
    input is negative: a training example predicted exactly 0 with ``y > 0``
    cannot pull its prediction up (counted as ``dead_train_fraction``).

The multipliers are cooper's ``DenseMultiplier`` (one entry per training
example) inside a ``cooper.Constraint`` of a ``cooper.ConstrainedMinimizationProblem``;
the dual optimizer is ``torch.optim.SGD(..., maximize=True)``. The constraints
hold on the *training* points only; test negatives are reported as measured.
During training we record, every epoch, the fraction of negative training
predictions, the most negative one and the multipliers, and report the largest
violation ``max(0, -min_i yhat_i)`` at 10 % and 50 % of training and at the end.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from signnet.report.artifacts import atomic_write_json, atomic_write_text, run_metadata, save_figure
from signnet.errors import SignnetError
from signnet.nn.networks import MLP
from signnet.report.html import escape, html_page, image, paragraph, section, table, verdict
from signnet.experiments.runner import run_study

SOURCE = ("Q&A seed 003: \u201cHow to optimize the weights and bias in your neural network in order to get as "
          "results only positive values?\u201d")
ALPHAS = (0.1, 1.0, 10.0, 100.0)
PENALTIES = tuple(f"penalty_{a:g}" for a in ALPHAS)
LAGRANGIANS = ("lagrangian_slack", "lagrangian_inequality")
TRANSFORMS = {"relu": F.relu, "softplus": F.softplus, "exp": torch.exp}
METHODS = ("none", *PENALTIES, *LAGRANGIANS, *TRANSFORMS)
FIELDS = ("train_negative_fraction", "test_negative_fraction", "min_train_prediction", "test_mse", "seconds")
FIGURES = ("violation.png", "multipliers.png", "penalty_trend.png", "predictions.png")
TOL = 1e-3  # the acceptance threshold for the Lagrangian methods: no training prediction below -TOL
N_FEATURES = 4
CHECKPOINTS = (("10%", 0.1), ("50%", 0.5), ("end", 1.0))

CONFIG = {
    "n_train": 500, "n_test": 2000, "noise": 0.1, "hidden": [128, 128], "activation": "relu",
    "epochs": 1500, "lagrangian_epochs": 3000, "lr": 1e-2, "lr_floor": 0.0, "optimizer": "adam (full batch)",
    "alphas": list(ALPHAS), "dual_optimizer": "sgd (maximize=True)",
    "inequality_optimizer": "AlternatingDualPrimalOptimizer", "dual_lr_inequality": 10.0,
    "slack_optimizer": "SimultaneousOptimizer", "slack_rho": 10.0, "dual_lr_slack": 10.0, "slack_dual_every": 40,
    "slack_lr": 0.005, "slack_init_offset": 0.1,
    "tolerance": TOL, "history_points": 150,
}
QUICK = {**CONFIG, "n_train": 200, "n_test": 1000, "epochs": 250, "lagrangian_epochs": 800}


# --------------------------------------------------------------------------- data and model
def make_data(n_train: int, n_test: int, noise: float, seed: int) -> dict[str, torch.Tensor]:
    """The censored regression task: ``y = max(0, z(x) + eps)``, ``x ~ U(-2, 2)^4``; i.i.d. train and test."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    X = rng.uniform(-2.0, 2.0, size=(n, N_FEATURES))
    z = 1.2 * np.sin(1.5 * X[:, 0]) + 0.8 * X[:, 1] - 0.5 * X[:, 2] * X[:, 3] - 0.6
    y = np.maximum(0.0, z + noise * rng.standard_normal(n))
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    return {"X_train": X[:n_train], "y_train": y[:n_train], "X_test": X[n_train:], "y_test": y[n_train:]}


def _model(cfg: dict, seed: int) -> MLP:
    torch.manual_seed(seed)  # the same initial weights for every method
    return MLP(N_FEATURES, tuple(cfg["hidden"]), 1, activation=cfg["activation"], head="regression")


def _cosine(optimizer: torch.optim.Optimizer, epochs: int, floor: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning rate ``lr * (floor + (1 - floor) * (1 + cos(pi t / T)) / 2)`` over ``T = epochs``."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(t, epochs) / epochs)))


class _Recorder:
    """Per-epoch statistics of the training predictions (and multipliers), kept as tensors until the end."""

    def __init__(self):
        self.rows: dict[str, list[torch.Tensor]] = {}

    def add(self, **values: torch.Tensor) -> None:
        for key, value in values.items():
            self.rows.setdefault(key, []).append(value.detach().reshape(()))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: torch.stack(v).double().numpy() for k, v in self.rows.items() if v}


def _record_predictions(rec: _Recorder, pred: torch.Tensor) -> None:
    rec.add(negative_fraction=(pred < 0).float().mean(), min_prediction=pred.min())


def _check_finite(value: torch.Tensor, method: str, epoch: int) -> None:
    if not torch.isfinite(value):
        raise SignnetError(f"Method {method} diverged at epoch {epoch + 1} (loss {float(value)}); "
                           f"lower the learning rates.")


# --------------------------------------------------------------------------- training
def _train_direct(method: str, data: dict, cfg: dict, seed: int):
    """``none``, ``penalty_<alpha>`` and the output transforms: Adam on a mean-squared-error loss."""
    model = _model(cfg, seed)
    transform = TRANSFORMS.get(method)
    alpha = float(method.split("_", 1)[1]) if method.startswith("penalty_") else 0.0
    X, y = data["X_train"], data["y_train"]
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = _cosine(opt, cfg["epochs"], cfg["lr_floor"])
    rec = _Recorder()
    model.train()
    for epoch in range(cfg["epochs"]):
        out = model(X)[:, 0]
        pred = transform(out) if transform is not None else out
        loss = F.mse_loss(pred, y)
        if alpha:
            loss = loss + alpha * F.relu(-pred).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        _check_finite(loss.detach(), method, epoch)
        _record_predictions(rec, pred.detach())
    model.eval()

    def predict(X_: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            o = model(X_)[:, 0]
            return transform(o) if transform is not None else o

    return predict, rec, {"alpha": alpha or None, "transform": method if transform is not None else None}


def _cmp_class():
    import cooper

    class NonNegativeOutputs(cooper.ConstrainedMinimizationProblem):
        """``min f(theta) = sum_i (yhat_i - y_i)^2`` subject to ``yhat_i >= 0`` on every training example.

        ``form="inequality"``: ``g_i = -yhat_i <= 0`` (Lagrangian formulation).
        ``form="slack"``: ``h_i = yhat_i - s_i^2 == 0`` with trainable slacks ``s``
        (augmented Lagrangian with penalty ``rho``, or the plain Lagrangian if ``rho is None``).
        """

        def __init__(self, model: nn.Module, X: torch.Tensor, y: torch.Tensor, form: str,
                     rho: float | None = None, slack_offset: float = 0.1):
            super().__init__()
            self.model, self.X, self.y, self.form = model, X, y, form
            n = y.shape[0]
            multiplier = cooper.multipliers.DenseMultiplier(num_constraints=n)
            if form == "slack":
                with torch.no_grad():
                    start = model(X)[:, 0]
                self.slack = nn.Parameter(torch.sqrt(start.clamp(min=0.0)) + slack_offset)
                if rho is None:
                    self.nonneg = cooper.Constraint(constraint_type=cooper.ConstraintType.EQUALITY,
                                                    formulation_type=cooper.formulations.Lagrangian,
                                                    multiplier=multiplier)
                else:
                    coefficient = cooper.penalty_coefficients.DensePenaltyCoefficient(torch.tensor(float(rho)))
                    self.nonneg = cooper.Constraint(constraint_type=cooper.ConstraintType.EQUALITY,
                                                    formulation_type=cooper.formulations.AugmentedLagrangian,
                                                    multiplier=multiplier, penalty_coefficient=coefficient)
            else:
                self.slack = None
                self.nonneg = cooper.Constraint(constraint_type=cooper.ConstraintType.INEQUALITY,
                                                formulation_type=cooper.formulations.Lagrangian,
                                                multiplier=multiplier)

        def compute_cmp_state(self, dual_update: bool = True) -> cooper.CMPState:
            pred = self.model(self.X)[:, 0]
            loss = (pred - self.y).square().sum()
            violation = pred - self.slack.square() if self.form == "slack" else -pred
            state = cooper.ConstraintState(violation=violation, contributes_to_dual_update=dual_update)
            return cooper.CMPState(loss=loss, observed_constraints={self.nonneg: state},
                                   misc={"pred": pred.detach(), "violation": violation.detach()})

    return NonNegativeOutputs


def _train_lagrangian(method: str, data: dict, cfg: dict, seed: int, *, plain_slack: bool = False):
    """Descent on the weights (and slacks), ascent on the multipliers, with cooper.

    ``lagrangian_inequality``: plain Lagrangian, ``AlternatingDualPrimalOptimizer`` (the
    multipliers move first, so the weight step already sees the raised ``lambda``).
    ``lagrangian_slack``: augmented Lagrangian, ``SimultaneousOptimizer``; the multipliers are
    updated every ``slack_dual_every`` steps with step ``eta_mu = rho`` (the method of
    multipliers: the primal problem is approximately minimised between two dual updates),
    using cooper's ``ConstraintState(contributes_to_dual_update=False)`` on the other steps.
    ``plain_slack=True``: the same slack run with the plain Lagrangian formulation (diagnostic).
    """
    import cooper

    model = _model(cfg, seed)
    form = "inequality" if method == "lagrangian_inequality" else "slack"
    rho = None if (form == "inequality" or plain_slack) else cfg["slack_rho"]
    cmp = _cmp_class()(model, data["X_train"], data["y_train"], form, rho, cfg["slack_init_offset"])
    epochs = cfg["lagrangian_epochs"]
    primal = [torch.optim.Adam(model.parameters(), lr=cfg["lr"])]
    if form == "slack":
        primal.append(torch.optim.SGD([cmp.slack], lr=cfg["slack_lr"]))  # constant step: see the module docstring
    dual_lr = cfg["dual_lr_inequality"] if form == "inequality" else cfg["dual_lr_slack"]
    dual = torch.optim.SGD(cmp.dual_parameters(), lr=dual_lr, maximize=True)
    name = cfg["inequality_optimizer"] if form == "inequality" else cfg["slack_optimizer"]
    optimizer = getattr(cooper.optim, name)(cmp=cmp, primal_optimizers=primal, dual_optimizers=dual)
    sched = _cosine(primal[0], epochs, cfg["lr_floor"])
    every = cfg["slack_dual_every"] if form == "slack" else 1
    multiplier = cmp.nonneg.multiplier
    rec = _Recorder()
    model.train()
    diverged_at = None
    for epoch in range(epochs):
        rollout = optimizer.roll(compute_cmp_state_kwargs={"dual_update": epoch % every == every - 1})
        sched.step()
        pred = rollout.cmp_state.misc["pred"]
        if not torch.isfinite(rollout.loss.detach()) or not torch.isfinite(multiplier.weight.detach()).all():
            if not plain_slack:
                _check_finite(torch.tensor(float("nan")), method, epoch)
            diverged_at = epoch + 1
            break
        _record_predictions(rec, pred)
        lam = multiplier.weight.detach()
        size = lam if form == "inequality" else lam.abs()
        # share of multipliers pushing their prediction up: lambda_i > 0, or mu_i < 0 in the slack form
        rec.add(multiplier_mean=size.mean(), multiplier_max=size.max(),
                active=((lam > 0) if form == "inequality" else (lam < 0)).float().mean())
        if form == "slack":
            rec.add(max_abs_residual=rollout.cmp_state.misc["violation"].abs().max())
    model.eval()

    def predict(X_: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model(X_)[:, 0]

    lam = multiplier.weight.detach()
    info = {
        "constraint": ("-yhat_i <= 0 (ConstraintType.INEQUALITY)" if form == "inequality"
                       else "yhat_i - s_i^2 == 0 (ConstraintType.EQUALITY)"),
        "formulation": ("Lagrangian" if rho is None else f"AugmentedLagrangian (rho={rho:g})"),
        "optimizer": name, "dual_lr": dual_lr, "dual_update_every": every, "epochs": epochs,
        "final_multiplier_mean": float(lam.abs().mean()) if torch.isfinite(lam).all() else None,
        "final_multiplier_max": float(lam.abs().max()) if torch.isfinite(lam).all() else None,
        "positive_multipliers": int((lam > 0).sum()) if form == "inequality" else None,
        "diverged_at_epoch": diverged_at,
    }
    if form == "slack" and diverged_at is None:
        with torch.no_grad():
            info["final_max_abs_residual"] = float((predict(data["X_train"]) - cmp.slack.square()).abs().max())
    return predict, rec, info


# --------------------------------------------------------------------------- measurements
def _snapshot(curve: np.ndarray, frac: float) -> float:
    idx = max(0, min(len(curve) - 1, int(round(frac * len(curve))) - 1))
    return float(curve[idx])


def _convergence(hist: dict[str, np.ndarray]) -> dict:
    """Violation ``max(0, -min yhat)`` and negative fraction at 10 %, 50 % and the end of training."""
    viol = np.maximum(0.0, -hist["min_prediction"])
    bad = np.nonzero(hist["min_prediction"] < -TOL)[0]
    out = {
        "max_violation": {name: _snapshot(viol, f) for name, f in CHECKPOINTS},
        "negative_fraction": {name: _snapshot(hist["negative_fraction"], f) for name, f in CHECKPOINTS},
        "largest_violation_during_training": float(viol.max()),
        "last_epoch_with_prediction_below_tol": int(bad[-1]) + 1 if len(bad) else 0,
        "epochs_recorded": int(len(viol)),
    }
    if "multiplier_mean" in hist:
        out["multiplier_mean"] = {name: _snapshot(hist["multiplier_mean"], f) for name, f in CHECKPOINTS}
        out["multiplier_max"] = {name: _snapshot(hist["multiplier_max"], f) for name, f in CHECKPOINTS}
    if "max_abs_residual" in hist:
        out["max_abs_residual"] = {name: _snapshot(hist["max_abs_residual"], f) for name, f in CHECKPOINTS}
    return out


def _thin(hist: dict[str, np.ndarray], points: int) -> dict:
    n = len(next(iter(hist.values())))
    idx = np.unique(np.linspace(0, n - 1, min(points, n)).round().astype(int))
    return {"epoch": (idx + 1).tolist(), **{k: [float(v[i]) for i in idx] for k, v in hist.items()}}


def _evaluate(predict, data: dict) -> tuple[dict, dict, dict]:
    p_tr, p_te = predict(data["X_train"]), predict(data["X_test"])
    y_tr, y_te = data["y_train"], data["y_test"]
    main = {
        "train_negative_fraction": float((p_tr < 0).float().mean()),
        "test_negative_fraction": float((p_te < 0).float().mean()),
        "min_train_prediction": float(p_tr.min()),
        "test_mse": float(F.mse_loss(p_te, y_te)),
    }
    extra = {
        "train_mse": float(F.mse_loss(p_tr, y_tr)),
        "min_test_prediction": float(p_te.min()),
        "train_below_tol_fraction": float((p_tr < -TOL).float().mean()),
        "test_below_tol_fraction": float((p_te < -TOL).float().mean()),
        "exact_zero_train_fraction": float((p_tr == 0).float().mean()),
        "exact_zero_test_fraction": float((p_te == 0).float().mean()),
        "dead_train_fraction": float(((p_tr == 0) & (y_tr > 0)).float().mean()),
    }
    return main, extra, {"train": p_tr, "test": p_te}


def _finite(obj):
    """Replace non-finite floats (a diverged diagnostic run) by ``None`` so the JSON stays valid."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj




def run_positive_output(out: Path, *, seed: int = 0, quick: bool = False, progress: bool = True) -> dict:
    """Train every method, write ``results.json``, the figures and ``index.html`` into ``out``; return the results.

    Args:
        out: output folder (created if missing; an existing file is refused).
        seed: seeds the data and the (shared) initial weights.
        quick: fewer training points and epochs (a smoke run for tests, ~10 s).
        progress: a progress bar on stderr.

    ``results["methods"]`` maps each name of :data:`METHODS` to exactly
    ``train_negative_fraction``, ``test_negative_fraction``,
    ``min_train_prediction``, ``test_mse`` and ``seconds``; ``results["details"]``
    holds the rest (convergence during training, multipliers, exact zeros).
    """
    return run_study(_run, out, seed=seed, quick=quick, progress=progress)


def _run(out: Path, seed: int, quick: bool, progress: bool) -> dict:
    start, cpu_start = time.perf_counter(), time.process_time()
    cfg = dict(QUICK if quick else CONFIG)
    data = make_data(cfg["n_train"], cfg["n_test"], cfg["noise"], seed)
    # the first torch optimizer imports torch._dynamo (about 2 s): do it here, so no method's time includes it
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    runs = [*METHODS, "slack_plain_lagrangian"]
    methods, details, histories, predictions = {}, {}, {}, {}
    diagnostics = {}
    bar = tqdm(runs, desc="positive-output", disable=not progress, leave=False)
    for name in bar:
        bar.set_postfix_str(name, refresh=True)
        t0 = time.perf_counter()
        if name == "slack_plain_lagrangian":
            predict, rec, info = _train_lagrangian("lagrangian_slack", data, cfg, seed, plain_slack=True)
        elif name in LAGRANGIANS:
            predict, rec, info = _train_lagrangian(name, data, cfg, seed)
        else:
            predict, rec, info = _train_direct(name, data, cfg, seed)
        seconds = time.perf_counter() - t0
        hist = rec.arrays()
        main, extra, preds = _evaluate(predict, data)
        if name == "slack_plain_lagrangian":
            conv = _convergence(hist) if len(hist.get("min_prediction", [])) else None
            diagnostics[name] = _finite({**main, **extra, **info, "seconds": round(seconds, 3), "convergence": conv})
            histories[name] = hist
            continue
        methods[name] = {**main, "seconds": round(seconds, 3)}
        details[name] = {**extra, **info, "convergence": _convergence(hist),
                         "history": _thin(hist, cfg["history_points"])}
        histories[name] = hist
        predictions[name] = preds
    bar.close()

    y_tr = data["y_train"]
    penalty_neg = [methods[p]["train_negative_fraction"] for p in PENALTIES]
    lag_conv = {m: details[m]["convergence"] for m in LAGRANGIANS}
    summary = {
        "transforms_never_negative": all(methods[t]["train_negative_fraction"] == 0.0
                                         and methods[t]["test_negative_fraction"] == 0.0 for t in TRANSFORMS),
        "penalty_negatives_non_increasing": bool(all(b <= a for a, b in zip(penalty_neg, penalty_neg[1:]))),
        "penalty_largest_alpha_fewer_negatives": bool(penalty_neg[-1] < penalty_neg[0]),
        "penalty_train_negative_fractions": dict(zip(PENALTIES, penalty_neg)),
        "lagrangian_feasible_at_end": {m: bool(methods[m]["min_train_prediction"] >= -TOL) for m in LAGRANGIANS},
        "lagrangian_violated_during_training": {
            m: bool(lag_conv[m]["largest_violation_during_training"] > TOL) for m in LAGRANGIANS},
        "penalty_any_below_tol": {p: bool(details[p]["train_below_tol_fraction"] > 0) for p in PENALTIES},
        "none_train_negative_fraction": methods["none"]["train_negative_fraction"],
        "zero_target_fraction_train": float((y_tr == 0).float().mean()),
        "relu_exact_zero_train_fraction": details["relu"]["exact_zero_train_fraction"],
        "relu_dead_train_fraction": details["relu"]["dead_train_fraction"],
        "slack_plain_lagrangian_min_train_prediction": diagnostics["slack_plain_lagrangian"]["min_train_prediction"],
    }
    _figures(out, histories, predictions, data, methods)
    config = {**cfg, "quick": quick, "methods": list(METHODS), "task": "y = max(0, 1.2 sin(1.5 x1) + 0.8 x2 - "
              "0.5 x3 x4 - 0.6 + eps), x ~ U(-2, 2)^4, eps ~ N(0, noise^2)"}
    results = {
        "study": "positive_output",
        "source": SOURCE,
        "quick": quick,
        "tolerance": TOL,
        "methods": methods,
        "details": details,
        "diagnostics": diagnostics,
        "summary": summary,
        "figures": list(FIGURES),
    }
    results.update(run_metadata(config, seed))
    results["elapsed_seconds"] = round(time.perf_counter() - start, 2)
    results["cpu_seconds"] = round(time.process_time() - cpu_start, 2)
    atomic_write_json(out / "results.json", results)
    atomic_write_text(out / "index.html", html_page(
        "signnet positive-output: forcing non-negative network outputs",
        [html_section(results, out)],
        footer=f"seed {seed}; {'quick run; ' if quick else ''}{results['elapsed_seconds']:.1f} s "
               f"(CPU {results['cpu_seconds']:.1f} s); signnet {results['versions'].get('signnet', '?')}, "
               f"torch {results['versions'].get('torch', '?')}, cooper-optim "
               f"{results['versions'].get('cooper-optim', '?')}."))
    return results


# --------------------------------------------------------------------------- figures
COLORS = {"none": "#555555", "penalty_0.1": "#f4a582", "penalty_1": "#d6604d", "penalty_10": "#b2182b",
          "penalty_100": "#67001f", "lagrangian_slack": "#2166ac", "lagrangian_inequality": "#1b9e77",
          "slack_plain_lagrangian": "#9970ab", "relu": "#e08214", "softplus": "#8073ac", "exp": "#35978f"}


def _figures(out: Path, histories: dict, predictions: dict, data: dict, methods: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tracked = ["none", *PENALTIES, *LAGRANGIANS]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
    for name in tracked:
        h = histories[name]
        epochs = np.arange(1, len(h["min_prediction"]) + 1)
        style = {"color": COLORS[name], "lw": 1.6 if name in LAGRANGIANS else 1.1, "label": name}
        axes[0].plot(epochs, h["negative_fraction"], **style)
        axes[1].plot(epochs, np.maximum(0.0, -h["min_prediction"]), **style)
    axes[0].set(xlabel="epoch", ylabel="fraction of training predictions < 0",
                title="Negative training predictions during training")
    axes[1].set_yscale("symlog", linthresh=TOL)
    axes[1].axhline(TOL, color="k", ls=":", lw=1)
    axes[1].set(xlabel="epoch", ylabel="max(0, \u2212min\u1d62 \u0177\u1d62)  (symlog)",
                title=f"Largest violation (dotted: {TOL:g})")
    axes[0].legend(fontsize=8, ncol=2)
    save_figure(fig, out / FIGURES[0])

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    for name, label in (("lagrangian_inequality", "\u03bb (inequality)"),
                        ("lagrangian_slack", "|\u03bc| (slack, augmented)")):
        h = histories[name]
        epochs = np.arange(1, len(h["multiplier_mean"]) + 1)
        axes[0].plot(epochs, np.maximum(h["multiplier_mean"], 1e-6), color=COLORS[name], label=f"mean {label}")
        axes[0].plot(epochs, np.maximum(h["multiplier_max"], 1e-6), color=COLORS[name], ls="--", label=f"max {label}")
        axes[1].plot(epochs, h["active"], color=COLORS[name], label=name)
    axes[0].set_yscale("log")
    axes[0].set_ylim(1e-6, None)  # a bounded log axis (few ticks); smaller means are shown at the bottom edge
    axes[0].set(xlabel="epoch", ylabel="multiplier", title="Multipliers (one per training example)")
    axes[0].legend(fontsize=8)
    axes[1].set(xlabel="epoch", ylabel="fraction of training examples",
                title="Multipliers pushing \u0177 up (\u03bb\u1d62 > 0; \u03bc\u1d62 < 0)")
    axes[1].legend(fontsize=8)
    cap = 1e3
    for name in ("lagrangian_slack", "slack_plain_lagrangian"):
        h = histories[name]
        if "max_abs_residual" in h and len(h["max_abs_residual"]):
            epochs = np.arange(1, len(h["max_abs_residual"]) + 1)
            label = "augmented (the method)" if name == "lagrangian_slack" else "plain Lagrangian (diagnostic)"
            if name != "lagrangian_slack" and len(epochs) < len(histories["lagrangian_slack"]["min_prediction"]):
                label += f", diverged at epoch {len(epochs) + 1}"
            axes[2].plot(epochs, np.clip(h["max_abs_residual"], 1e-6, cap), color=COLORS[name], label=label)
    axes[2].axhline(TOL, color="k", ls=":", lw=1)
    axes[2].set_yscale("log")
    axes[2].set_ylim(1e-6, 2 * cap)
    axes[2].set(xlabel="epoch", ylabel=f"max\u1d62 |\u0177\u1d62 \u2212 s\u1d62\u00b2| (capped at {cap:g})",
                title="Slack form: equality residual")
    axes[2].legend(fontsize=8)
    save_figure(fig, out / FIGURES[1])

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for split, marker, color in (("train", "o-", "#b2182b"), ("test", "s--", "#2166ac")):
        axes[0].plot(ALPHAS, [methods[p][f"{split}_negative_fraction"] for p in PENALTIES], marker, color=color,
                     label=split)
        axes[0].axhline(methods["none"][f"{split}_negative_fraction"], color=color, ls=":", lw=1,
                        label=f"none ({split})")
    axes[0].set_xscale("log")
    axes[0].set(xlabel="\u03b1", ylabel="fraction of predictions < 0", title="Penalty: negative predictions")
    axes[0].legend(fontsize=8)
    worst = [max(0.0, -methods[p]["min_train_prediction"]) for p in PENALTIES]
    axes[1].plot(ALPHAS, worst, "o-", color="#b2182b", label="penalty")
    axes[1].axhline(max(0.0, -methods["none"]["min_train_prediction"]), color="#555555", ls=":", label="none")
    axes[1].axhline(TOL, color="k", ls="--", lw=1, label=f"{TOL:g}")
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set(xlabel="\u03b1", ylabel="\u2212min\u1d62 \u0177\u1d62 (training)",
                title="Penalty: most negative training prediction")
    axes[1].legend(fontsize=8)
    save_figure(fig, out / FIGURES[2])

    shown = ["none", "penalty_100", "lagrangian_inequality", "lagrangian_slack", "relu", "exp"]
    fig, axes = plt.subplots(2, len(shown), figsize=(3.1 * len(shown), 6.4), sharey="row")
    y_te = data["y_test"].numpy()
    for j, name in enumerate(shown):
        p = predictions[name]["test"].numpy()
        for i in range(2):
            ax = axes[i, j]
            ax.scatter(y_te, p, s=3, alpha=0.35, color=COLORS[name])
            ax.axhline(0, color="k", lw=0.8)
        axes[1, j].set_xlabel("test target y")
        axes[0, j].set_title(name, fontsize=9)
        axes[1, j].set_xlim(-0.02, 0.4)
    axes[1, 0].set_ylim(-0.06, 0.2)
    axes[0, 0].set_ylabel("test prediction \u0177")
    axes[1, 0].set_ylabel("\u0177, zoomed near 0")
    save_figure(fig, out / FIGURES[3])


# --------------------------------------------------------------------------- report
def _fmt(x, digits: int = 3) -> str:
    if x is None:
        return "\u2013"
    if isinstance(x, float):
        if x != 0 and abs(x) < 10 ** -digits:
            return f"{x:.1e}"
        return f"{x:.{digits}f}"
    return str(x)


def _g(x) -> str:
    return "not finite" if x is None else f"{x:.3g}"


def html_section(results: dict, out: Path) -> str:
    """The positive-output report as one HTML ``<section>``, figures read from ``out`` and inlined."""
    out = Path(out)
    m, d, s = results["methods"], results["details"], results["summary"]
    cfg = results["config"]
    arch = "\u2192".join(str(h) for h in [4, *cfg["hidden"], 1])
    decay_to = "zero" if cfg["lr_floor"] == 0 else f"{cfg['lr_floor']:g}\u00b7lr"
    diag = results["diagnostics"].get("slack_plain_lagrangian", {})
    rows = [[name, _fmt(v["train_negative_fraction"]), _fmt(v["test_negative_fraction"]),
             f"{v['min_train_prediction']:+.2e}", _fmt(v["test_mse"], 4), _fmt(v["seconds"], 2)]
            for name, v in m.items()]
    conv_rows = []
    for name in ("none", *PENALTIES, *LAGRANGIANS):
        c = d[name]["convergence"]
        conv_rows.append([name, *(f"{c['max_violation'][k]:.1e}" for k, _ in CHECKPOINTS),
                          *(_fmt(c["negative_fraction"][k]) for k, _ in CHECKPOINTS),
                          c["last_epoch_with_prediction_below_tol"]])
    mult_rows = []
    for name in LAGRANGIANS:
        c = d[name]["convergence"]
        mult_rows.append([name, d[name]["formulation"], _fmt(d[name]["dual_lr"]),
                          *(_fmt(c["multiplier_mean"][k], 4) for k, _ in CHECKPOINTS),
                          *(_fmt(c["multiplier_max"][k]) for k, _ in CHECKPOINTS)])
    pen = s["penalty_train_negative_fractions"]
    pen_text = ", ".join(f"\u03b1 = {p.split('_')[1]}: {v:.3f}" for p, v in pen.items())
    lag_text = "; ".join(
        f"{name}: min training prediction {m[name]['min_train_prediction']:+.1e}, largest violation during "
        f"training {d[name]['convergence']['largest_violation_during_training']:.2e}, at 10 % "
        f"{d[name]['convergence']['max_violation']['10%']:.1e}, at 50 % "
        f"{d[name]['convergence']['max_violation']['50%']:.1e}, at the end "
        f"{d[name]['convergence']['max_violation']['end']:.1e} (last epoch with a prediction below "
        f"\u2212{TOL:g}: {d[name]['convergence']['last_epoch_with_prediction_below_tol']} of {d[name]['epochs']})"
        for name in LAGRANGIANS)
    all_feasible = all(s["lagrangian_feasible_at_end"].values())
    all_violated = all(s["lagrangian_violated_during_training"].values())
    relu = d["relu"]
    test_neg_lag = ", ".join(f"{n} {m[n]['test_negative_fraction']:.3f} (min {d[n]['min_test_prediction']:+.1e})"
                             for n in LAGRANGIANS)
    diag_text = ""
    if diag:
        div = diag.get("diverged_at_epoch")
        diag_text = (
            f"Diagnostic: the same slack problem with cooper's plain <code>Lagrangian</code> formulation (same step "
            f"sizes) ends with min training prediction {_g(diag['min_train_prediction'])}, "
            f"{_g(diag['train_negative_fraction'])} of training predictions negative and train MSE "
            f"{_g(diag['train_mse'])}"
            + (f", and diverged at epoch {div}" if div else "")
            + ". In (s\u1d62, \u03bc\u1d62) the Lagrangian is \u2212\u03bc\u1d62 s\u1d62\u00b2: descent-ascent "
              "circles around the saddle point with no damping. The augmented term \u03c1/2\u00b7h\u00b2 adds the "
              "damping; at a feasible point it is zero, so the problem solved is the same.")
    sl, sc = d["lagrangian_slack"], d["lagrangian_slack"]["convergence"]
    slack_text = (
        f"Slack form at the end: lowest training prediction {m['lagrangian_slack']['min_train_prediction']:+.2e}, "
        f"equality residual max\u1d62 |\u0177\u1d62 \u2212 s\u1d62\u00b2| = "
        f"{_g(sl.get('final_max_abs_residual'))} (10 %: {sc['max_abs_residual']['10%']:.2e}, 50 %: "
        f"{sc['max_abs_residual']['50%']:.2e}). The slack of a zero-target point moves with "
        "\u2202L/\u2202s = \u22122s(\u03bc + \u03c1h), which vanishes as s \u2192 0, so these slacks approach 0 "
        "slowly: the slack form tends to end feasible with a small positive margin (\u0177 = s\u00b2 > 0) rather "
        "than on the boundary, while the inequality form ends on the boundary up to its convergence error.")
    plain_fate = ("diverged" if diag.get("diverged_at_epoch")
                  else f"ended at min training prediction {_g(diag.get('min_train_prediction'))}")
    by_mse = sorted(TRANSFORMS, key=lambda t: m[t]["test_mse"])
    best_t, worst_t = (f"{t} ({m[t]['test_mse']:.4f})" for t in (by_mse[0], by_mse[-1]))
    parts = [
        paragraph(f"Source: {escape(SOURCE)} The answer (K. Frank) offers three ways to make the outputs of a "
                  "network non-negative without a ReLU on the last layer:", raw=True),
        "<ol>"
        "<li><b>Penalty</b>: <code>loss + alpha * (relu(-pred)**2).sum()</code>; it \u201cwill not force the "
        "elements of pred to be positive, but it will encourage them\u201d, more so for a larger alpha.</li>"
        "<li><b>Lagrange multipliers</b> on the exact constraint, with slack variables "
        "<code>pred - slack**2 == 0</code>: the optimum is a saddle point, so descent on the weights and "
        "<i>ascent</i> on the multipliers; \u201cusing the Lagrange-multiplier technique will not force pred to be "
        "non-negative during the training process; only after the optimization has converged\u201d.</li>"
        "<li><b>An output transform</b>: <code>relu()</code> or \u201cperhaps better\u201d <code>exp()</code>.</li>"
        "</ol>",
        "<h3>What was measured</h3>",
        paragraph(
            f"Task: {escape(cfg['task'])}, noise = {cfg['noise']:g}; {cfg['n_train']} training and {cfg['n_test']} "
            f"test points; {s['zero_target_fraction_train']:.0%} of the training targets are exactly 0. Network: "
            f"ReLU MLP {arch} (signnet <code>MLP</code>, "
            f"free weights), the same initial weights for every method; full-batch Adam, lr {cfg['lr']:g} with a "
            f"cosine decay to {decay_to}, for {cfg['epochs']} epochs ({cfg['lagrangian_epochs']} for "
            f"the two Lagrangian methods, which need them to converge to {TOL:g}).", raw=True),
        "<ul>"
        "<li><code>none</code>: f(\u03b8) = (1/n) \u03a3\u1d62 (\u0177\u1d62 \u2212 y\u1d62)\u00b2.</li>"
        "<li><code>penalty_\u03b1</code>: f(\u03b8) + \u03b1\u00b7(1/n) \u03a3\u1d62 relu(\u2212\u0177\u1d62)\u00b2 "
        "(both terms means, so \u03b1 is the relative weight; the Q&amp;A's mean loss plus summed penalty "
        "is \u03b1\u00b7n here).</li>"
        "<li><code>lagrangian_inequality</code>: g\u1d62(\u03b8) = \u2212\u0177\u1d62 \u2264 0 for each training "
        "example, L(\u03b8, \u03bb) = f(\u03b8) + \u03a3\u1d62 \u03bb\u1d62 g\u1d62(\u03b8) with "
        "f = \u03a3\u1d62 (\u0177\u1d62 \u2212 y\u1d62)\u00b2 (cooper's <code>Lagrangian</code> formulation, "
        "<code>AlternatingDualPrimalOptimizer</code>): "
        "\u03bb \u2190 [\u03bb + \u03b7<sub>\u03bb</sub> g(\u03b8)]<sub>+</sub> (SGD, maximize=True, "
        f"\u03b7<sub>\u03bb</sub> = {cfg['dual_lr_inequality']:g}), then "
        "\u03b8 \u2190 \u03b8 \u2212 \u03b7 \u2207<sub>\u03b8</sub>L(\u03b8, \u03bb) (Adam) with the new "
        "\u03bb.</li>"
        "<li><code>lagrangian_slack</code>: h\u1d62 = \u0177\u1d62 \u2212 s\u1d62\u00b2 = 0 with one trainable slack "
        "and one multiplier per example; L<sub>\u03c1</sub> = f + \u03a3\u1d62 \u03bc\u1d62 h\u1d62 + "
        f"(\u03c1/2) \u03a3\u1d62 h\u1d62\u00b2 (cooper's <code>AugmentedLagrangian</code>, \u03c1 = "
        f"{cfg['slack_rho']:g}, <code>SimultaneousOptimizer</code>); "
        "(\u03b8, s) \u2190 descent on L<sub>\u03c1</sub> (Adam on \u03b8, SGD lr "
        f"{cfg['slack_lr']:g} on s) every step, \u03bc \u2190 \u03bc + \u03b7<sub>\u03bc</sub> h every "
        f"{cfg['slack_dual_every']} steps (\u03b7<sub>\u03bc</sub> = \u03c1 = {cfg['dual_lr_slack']:g}: the "
        "method of multipliers). Why augmented: see the diagnostic below.</li>"
        "<li><code>relu</code>, <code>softplus</code>, <code>exp</code>: \u0177 = t(P<sub>\u03b8</sub>(x)), "
        "mean squared error.</li></ul>",
        paragraph("The Lagrangian methods use cooper-optim: a <code>ConstrainedMinimizationProblem</code> whose "
                  "<code>Constraint</code> (EQUALITY or INEQUALITY) carries a <code>DenseMultiplier</code> with one "
                  "entry per training example; the dual optimizer is <code>torch.optim.SGD(maximize=True)</code>. "
                  "The constraints hold on training points only; test negatives are reported as measured. "
                  "A prediction counts as negative when it is &lt; 0.", raw=True),
        "<h3>Results</h3>",
        table(["method", "train \u0177 < 0", "test \u0177 < 0", "min train \u0177", "test MSE", "seconds"], rows),
        paragraph(
            "Verdicts. Transforms: "
            + verdict(s["transforms_never_negative"], "no negative prediction at all (train and test)",
                      "some negative prediction") + ". "
            + f"Penalty, fraction of negative training predictions: {pen_text} (none: "
              f"{s['none_train_negative_fraction']:.3f}): "
            + verdict(s["penalty_negatives_non_increasing"], "non-increasing in \u03b1",
                      "not monotone in \u03b1")
            + (", " + verdict(s["penalty_largest_alpha_fewer_negatives"], "\u03b1 = 100 has fewer than \u03b1 = 0.1",
                              "\u03b1 = 100 has no fewer than \u03b1 = 0.1"))
            + "; even \u03b1 = 100 leaves negatives, as the Q&amp;A says (it encourages, it does not force). "
            + f"Lagrangian: {escape(lag_text)}. Ending with no training prediction below \u2212{TOL:g}: "
            + verdict(all_feasible, "yes, both", "no") + ". Violated during training (the Q&amp;A's warning): "
            + verdict(all_violated, "yes, both", "not for both") + " \u2013 the inequality form for most of its run, "
              "the slack form only in its first epochs (its slacks start at \u221amax(\u0177,0) + "
              f"{cfg['slack_init_offset']:g} and the augmented term keeps \u0177 close to s\u00b2 \u2265 0). "
            + f"Test negatives of the Lagrangian methods (not constrained there): {escape(test_neg_lag)}.",
            raw=True),
        "<h3>The Lagrangian meets the constraint only as it converges</h3>",
        paragraph(f"Largest violation max(0, \u2212min\u1d62 \u0177\u1d62) over the training points and the "
                  f"fraction of negative training predictions at 10 %, 50 % and the end of training (the values are "
                  f"those of the iterate at that epoch, before its update), and the last epoch with a prediction "
                  f"below \u2212{TOL:g}.", raw=True),
        table(["method", "violation 10 %", "violation 50 %", "violation end", "\u0177 < 0 at 10 %",
               "\u0177 < 0 at 50 %", "\u0177 < 0 end", f"last epoch below \u2212{TOL:g}"], conv_rows),
        image(out / FIGURES[0], "Fraction of negative training predictions and the largest violation, per epoch."),
        table(["method", "formulation", "dual lr", "mean 10 %", "mean 50 %", "mean end",
               "max 10 %", "max 50 %", "max end"], mult_rows),
        paragraph(slack_text, raw=True),
        image(out / FIGURES[1], "Multipliers over training (mean and max of \u03bb, or of |\u03bc| for the slack "
                                "form), the share of multipliers pushing \u0177 up, and the slack form's equality "
                                "residual."),
        paragraph(diag_text, raw=True) if diag_text else "",
        "<h3>Penalty strength and predictions</h3>",
        image(out / FIGURES[2], "Negative predictions and the most negative training prediction against the "
                                "penalty weight \u03b1."),
        image(out / FIGURES[3], "Test predictions against test targets (below the black line: negative); bottom "
                                "row zoomed near 0."),
        "<h3>Notes</h3>",
        paragraph(
            "Take-away. An output transform is the only option that never produces a negative value, on training "
            f"and test points alike, at no extra cost (lowest test MSE of the three here: {best_t}, highest: "
            f"{worst_t}; relu leaves dead outputs). The penalty reduces the negatives as \u03b1 grows"
            + (" but did not remove them even at \u03b1 = 100. " if m["penalty_100"]["train_negative_fraction"] > 0
               else ". ") +
            "The Lagrangian methods satisfy the constraint on the training points only, and only once descent-ascent "
            "has converged: they needed more epochs and tuned dual step sizes (plain descent-ascent on the slack "
            f"form {plain_fate}) and say nothing about new inputs.", raw=True),
        paragraph(
            f"ReLU output: {relu['exact_zero_train_fraction']:.3f} of training and "
            f"{relu['exact_zero_test_fraction']:.3f} of test predictions are exactly 0. A ReLU passes no gradient "
            f"where its input is negative, so those examples stop contributing to training; "
            f"{relu['dead_train_fraction']:.3f} of training examples are predicted exactly 0 although their target "
            f"is positive, and nothing pulls them back up (the dead-gradient issue). Softplus and exp keep a "
            f"gradient everywhere; exp is strictly positive, so it reaches 0 only in the limit "
            f"(min training prediction {m['exp']['min_train_prediction']:.1e}).", raw=True),
        paragraph(
            "Cost: the Lagrangian methods carry one multiplier per training example (and the slack form one slack "
            "too), and their violation is only small once the multipliers have grown to balance the data term; the "
            "transforms meet the constraint at every step, for free, on any input, including test points. "
            f"Times are wall-clock seconds of this run (elapsed {results['elapsed_seconds']:.1f} s, CPU "
            f"{results['cpu_seconds']:.1f} s, one torch thread).", raw=True),
    ]
    return section("Forcing non-negative outputs: penalty, Lagrange multipliers, transforms", *parts,
                   anchor="positive-output")


def section_html(out_dir: Path) -> str:
    """Read ``out_dir/results.json`` and its figures and return the positive-output ``<section>``."""
    out_dir = Path(out_dir)
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    return html_section(results, out_dir)
