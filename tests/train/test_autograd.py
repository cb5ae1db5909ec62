"""Training and the gradient search run whatever the caller's grad mode, and leave that mode as it was."""

import numpy as np
import pytest
import torch

import signnet


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_fit_estimators_and_find_violation_work_under_the_callers_no_grad(mode):
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2)
    y = X[:, 0] + 0.1 * rng.randn(100)
    problem = signnet.make_problem("xor", 100, seed=0)
    net = signnet.dnn_plus(2, hidden=(8,))
    before = [p.detach().clone() for p in net.parameters()]
    decreasing = torch.nn.Linear(2, 1)
    with torch.no_grad():
        decreasing.weight.copy_(torch.tensor([[-1.0, 0.5]]))
    with mode():
        h = signnet.fit(net, problem.X, problem.y, epochs=3, progress=False)
        for n_jobs in (1, 2):
            est = signnet.MonotoneRegressor(monotonic_cst=[1, 0], n_networks=2, max_iter=5, random_state=0,
                                            n_jobs=n_jobs).fit(X, y)
            assert est.n_iter_ == 5
        assert signnet.find_violation(signnet.dnn_plus(2, hidden=(8,)), (-1.0, 1.0), steps=5) is None
        found = signnet.find_violation(decreasing, (-1.0, 1.0), steps=50)
        assert not torch.is_grad_enabled()  # the caller's mode is back
    assert len(h.loss) == 3 and any(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert found is not None and found.gap > 0.1  # the gradient search ran: F decreases in x_0


def test_a_model_built_under_inference_mode_is_refused_with_the_fix():
    problem = signnet.make_problem("xor", 50, seed=0)
    with torch.inference_mode():
        net = signnet.dnn_plus(2, hidden=(4,))
    with pytest.raises(signnet.SignnetError, match=r"created under torch.inference_mode\(\), where torch can never "
                                                   r"train them; build the model outside inference_mode\."):
        signnet.fit(net, problem.X, problem.y, epochs=1, progress=False)
