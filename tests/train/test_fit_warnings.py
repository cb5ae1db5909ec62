"""Warnings of signnet.fit about options that do not do what their name suggests."""

import pytest
import torch

from signnet import MLP, fit


def test_weight_decay_of_a_softplus_reparametrisation_warns_where_it_pulls():
    # decay acts on v of w = s * t(v): with softplus, w settles at softplus(0) = 0.693 with no data gradient
    import warnings

    X, y = torch.zeros(20, 1), torch.zeros(20)
    for transform, target in (("softplus", 0.6931), ("exp", 1.0), ("abs", 0.0)):
        with torch.random.fork_rng():  # the same start whatever ran before (Adam's end point near |v|'s kink depends on it)
            torch.manual_seed(0)
            model = MLP(1, (), 1, weights="nonneg", method="reparam", transform=transform, head="regression")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit(model, X, y, epochs=2000, lr=0.05, weight_decay=0.5, patience=None, progress=False)
        assert float(model[0].weight) == pytest.approx(target, abs=2e-3)
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        if transform == "abs":
            assert messages == []
        else:
            assert len(messages) == 1 and f"transform={transform!r} it pulls |w| toward" in messages[0]
