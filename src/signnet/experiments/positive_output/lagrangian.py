r"""Lagrange multipliers for ``yhat_i >= 0`` on every training example, with cooper-optim.

K. Frank's answer to Q&A seed 003: "To perform an 'official' constrained
optimization that requires pred to be non-negative ... you can add slack
variables"; "because the optimum for the Lagrange-multiplier optimization occurs
at a saddle point ... gradient ascent on the Lagrange [multipliers]"; and "using
the Lagrange-multiplier technique will not force pred to be non-negative during
the training process; only after the optimization has converged". Two forms of
the same constraint are trained (``yhat_i = P_theta(x_i)``, ``n`` training examples):

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

The multipliers are cooper's ``DenseMultiplier`` (one entry per training
example) inside a ``cooper.Constraint`` of a ``cooper.ConstrainedMinimizationProblem``;
the dual optimizer is ``torch.optim.SGD(..., maximize=True)``. The constraints
hold on the *training* points only. During training we record, every epoch,
the fraction of negative training predictions, the most negative one and the
multipliers (the values of the iterate at that epoch, before its update).
"""

from __future__ import annotations

import torch
from torch import nn

from signnet.errors import SignnetError
from signnet.experiments.positive_output.methods import FORMS, Recorder, cosine, initial_model
from signnet.train.loop import Step, train_loop


def problem_class():
    """The cooper problem class (cooper is imported on first use: the other methods do not need it)."""
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


def train_lagrangian(method: str, data: dict, cfg: dict, seed: int, *, plain_slack: bool = False):
    """Descent on the weights (and slacks), ascent on the multipliers, with cooper, on :func:`signnet.train.train_loop`.

    ``lagrangian_inequality``: plain Lagrangian, ``AlternatingDualPrimalOptimizer`` (the
    multipliers move first, so the weight step already sees the raised ``lambda``).
    ``lagrangian_slack``: augmented Lagrangian, ``SimultaneousOptimizer``; the multipliers are
    updated every ``slack_dual_every`` steps with step ``eta_mu = rho`` (the method of
    multipliers: the primal problem is approximately minimised between two dual updates),
    using cooper's ``ConstraintState(contributes_to_dual_update=False)`` on the other steps.
    ``plain_slack=True``: the same slack run with the plain Lagrangian formulation (diagnostic);
    it stops where the loss or a multiplier stops being finite and reports that epoch.

    cooper's ``roll`` does its own forward, backward and primal and dual steps,
    so it is the loop's custom ``step=``; the loop owns the epochs, the cosine
    schedule of the primal learning rate, the divergence check and the
    per-epoch record (``on_step=``).
    """
    import cooper

    model = initial_model(cfg, seed)
    form = FORMS[method]
    rho = None if (form == "inequality" or plain_slack) else cfg["slack_rho"]
    cmp = problem_class()(model, data["X_train"], data["y_train"], form, rho, cfg["slack_init_offset"])
    epochs = cfg["lagrangian_epochs"]
    primal = [torch.optim.Adam(model.parameters(), lr=cfg["lr"])]
    if form == "slack":
        primal.append(torch.optim.SGD([cmp.slack], lr=cfg["slack_lr"]))  # constant step: see the module docstring
    dual_lr = cfg["dual_lr_inequality"] if form == "inequality" else cfg["dual_lr_slack"]
    dual = torch.optim.SGD(cmp.dual_parameters(), lr=dual_lr, maximize=True)
    name = cfg["inequality_optimizer"] if form == "inequality" else cfg["slack_optimizer"]
    optimizer = getattr(cooper.optim, name)(cmp=cmp, primal_optimizers=primal, dual_optimizers=dual)
    every = cfg["slack_dual_every"] if form == "slack" else 1
    multiplier = cmp.nonneg.multiplier
    rec = Recorder()
    diverged_at, violation = None, None

    def step(s: Step) -> torch.Tensor:
        """cooper's ``roll``: its own forward, backward and primal / dual steps; returns ``f(theta)``."""
        nonlocal violation
        rollout = optimizer.roll(compute_cmp_state_kwargs={"dual_update": s.epoch % every == every - 1})
        s.output = rollout.cmp_state.misc["pred"][:, None]  # (n, 1): the predictions before this step's update
        violation = rollout.cmp_state.misc["violation"]  # (n,): g(theta) or h(theta, s) before the update
        return rollout.loss.detach()

    def on_step(s: Step) -> bool | None:
        nonlocal diverged_at
        lam = multiplier.weight.detach()
        if not torch.isfinite(s.loss) or not torch.isfinite(lam).all():
            if not plain_slack:
                raise SignnetError(f"Method {method} diverged at epoch {s.epoch + 1} (loss {float(s.loss)}); "
                                   f"lower the learning rates.")
            diverged_at = s.epoch + 1
            return True  # stop: the diagnostic records where plain descent-ascent diverged
        rec.predictions(s.output[:, 0])
        size = lam if form == "inequality" else lam.abs()
        # share of multipliers pushing their prediction up: lambda_i > 0, or mu_i < 0 in the slack form
        rec.add(multiplier_mean=size.mean(), multiplier_max=size.max(),
                active=((lam > 0) if form == "inequality" else (lam < 0)).float().mean())
        if form == "slack":
            rec.add(max_abs_residual=violation.abs().max())
        return None

    train_loop(model, data["X_train"], data["y_train"], epochs=epochs, step=step,
               scheduler=cosine(primal[0], epochs, cfg["lr_floor"]), on_step=on_step,
               diverge="stop" if plain_slack else "raise", name=method)

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
