"""save / load round trips and load errors (signnet.checkpoint)."""

import os
import re

import pytest
import torch

from signnet import MLP, SignnetError, fit, load, make_problem, save

pytestmark = pytest.mark.usefixtures("single_thread")

VARIANTS = [
    dict(weights="nonneg", method="project"),
    dict(weights="nonneg", method="reparam", transform="abs"),
    dict(weights="nonneg", method="reparam", transform="softplus"),
    dict(weights="nonneg", method="reparam", transform="exp"),
    dict(weights="nonneg", method="reparam", transform="square"),
    dict(weights="nonneg", method="penalty", strength=3.5),
    dict(weights="free", monotonic_cst=[1, -1]),
    dict(weights=["free", "nonpos", [[1, -1, 1]]], method="reparam"),
]


@pytest.mark.parametrize("kwargs", VARIANTS, ids=lambda k: "-".join(str(v) for v in k.values())[:40])
def test_round_trip_gives_identical_outputs(tmp_path, kwargs):
    p = make_problem("xor", 200, seed=0)
    torch.manual_seed(0)
    model = MLP(2, (5, 3), activation="tanh", **kwargs)
    if kwargs["weights"] == "nonneg":
        model.flip({0: [(1, 0), (4, 1)], 2: [(0, 2)]})
    fit(model, p.X, p.y, epochs=20, progress=False)  # trained weights, not the initial ones
    path = save(model, tmp_path / "sub" / "model.pt", extra={"problem": "xor"})
    assert path == tmp_path / "sub" / "model.pt" and path.is_file()
    restored = load(path)
    assert isinstance(restored, MLP) and not restored.training
    assert restored.config == model.config
    x = torch.randn(50, 2)
    assert torch.equal(restored(x), model(x))
    for a, b in zip(model.linear_layers, restored.linear_layers, strict=True):
        assert torch.equal(a.sign_mask, b.sign_mask)
        assert (a.method, a.transform, a.strength) == (b.method, b.transform, b.strength)
    if kwargs["weights"] == "nonneg":
        assert restored.config["flips"] == {"0": [[1, 0], [4, 1]], "2": [[0, 2]]}
        assert restored.linear_layers[0].sign_mask[1, 0] == -1
        assert restored.linear_layers[2].weight[0, 2] <= 0


def test_round_trip_softmax_head(tmp_path):
    torch.manual_seed(0)
    model = MLP(4, (3,), 3, head="softmax", activation="elu")
    restored = load(save(model, tmp_path / "m.pt"))
    x = torch.randn(10, 4)
    assert restored.head == "softmax"
    assert torch.equal(restored.predict(x), model.predict(x))


def test_save_refuses_other_modules(tmp_path):
    with pytest.raises(SignnetError, match=r"Only signnet.MLP and signnet.MonotoneMLP networks can be saved, got Linear"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


def test_save_overwrites_whole_and_leaves_no_temp_files(tmp_path):
    torch.manual_seed(0)
    big, small = MLP(2, (64, 64)), MLP(2, (2,))
    path = tmp_path / "m.pt"
    save(big, path)
    save(small, path)
    assert load(path).config["hidden"] == [2]
    assert os.listdir(tmp_path) == ["m.pt"]


def _message_names(path):
    return re.escape(repr(str(path)))


def test_load_missing_file(tmp_path):
    path = tmp_path / "nope.pt"
    with pytest.raises(SignnetError, match=_message_names(path) + " does not exist"):
        load(path)


def test_load_a_directory(tmp_path):
    with pytest.raises(SignnetError, match=_message_names(tmp_path) + " does not exist"):
        load(tmp_path)


def test_load_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.pt"
    path.write_bytes(bytes(torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(0)).tolist()))
    with pytest.raises(SignnetError, match=_message_names(path) + " is corrupt or not a torch file"):
        load(path)


def test_load_truncated_checkpoint(tmp_path):
    path = save(MLP(2, (4,)), tmp_path / "m.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SignnetError, match=_message_names(path) + " is corrupt"):
        load(path)


def test_load_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save({"a": 1}, path)
    with pytest.raises(SignnetError, match=_message_names(path) + r" is not a signnet checkpoint \(no 'signnet.checkpoint' marker\)"):
        load(path)


def test_load_a_torch_tensor_file(tmp_path):
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(SignnetError, match=_message_names(path) + " is not a signnet checkpoint"):
        load(path)


def test_load_wrong_version(tmp_path):
    path = tmp_path / "v2.pt"
    torch.save({"format": "signnet.checkpoint", "version": 2, "config": {}, "state_dict": {}}, path)
    with pytest.raises(SignnetError, match=_message_names(path) + " has version 2; this signnet reads version 1"):
        load(path)


def test_load_refuses_pickled_code(tmp_path):
    # weights_only loading: a pickle that would build an arbitrary object is refused, not executed
    path = tmp_path / "evil.pt"
    torch.save({"format": "signnet.checkpoint", "version": 1, "obj": _Evil()}, path)
    with pytest.raises(SignnetError, match=_message_names(path) + " is corrupt or not a torch file"):
        load(path)


class _Evil:
    pass


def test_load_bad_config(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"format": "signnet.checkpoint", "version": 1, "config": {"hidden": [3]}, "state_dict": {}}, path)
    with pytest.raises(SignnetError, match=_message_names(path) + " does not describe a network this signnet can build"):
        load(path)
    model = MLP(2, (4,))
    state = model.state_dict()
    state["0.weight"] = torch.zeros(7, 7)
    torch.save({"format": "signnet.checkpoint", "version": 1, "config": model.config, "state_dict": state}, path)
    with pytest.raises(SignnetError, match=_message_names(path) + " does not describe a network") as info:
        load(path)
    message = str(info.value)  # torch's multi-line message folded into the one line the CLI prints
    assert "\n" not in message and "size mismatch for 0.weight" in message
    assert message.endswith("save the model again with signnet.save or `signnet train --save`.")


def test_load_leaves_the_global_generator_alone_and_refuses_malformed_payloads(tmp_path):
    path = tmp_path / "net.pt"
    save(MLP(2, (4,)), path)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load(path)  # rebuilds the network, then overwrites its initialisation
    assert torch.equal(torch.rand(3), expected)
    for payload, match in [({}, "has no config and state_dict dictionaries"),
                           ({"config": "MLP", "state_dict": {}}, "has no config and state_dict dictionaries"),
                           ({"config": {}, "state_dict": {}, "model": ["MLP"]}, r"holds a \['MLP'\]")]:
        torch.save({"format": "signnet.checkpoint", "version": 1, **payload}, path)
        with pytest.raises(SignnetError, match=match):
            load(path)


def test_a_plain_pickle_is_refused_in_one_sentence_without_torchs_warning(tmp_path):
    import pickle
    import warnings

    path = tmp_path / "plain.pt"
    path.write_bytes(pickle.dumps({"format": "signnet.checkpoint"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(SignnetError, match=_message_names(path) + " is corrupt or not a torch file"):
            load(path)
    assert [str(w.message) for w in caught] == []  # torch's two-line UserWarning came before signnet's line


def test_numpy_settings_are_saved_as_numbers_and_what_cannot_load_is_refused(tmp_path):
    import numpy as np

    from signnet import MLP

    model = MLP(2, (3,), method="penalty", strength=np.float64(0.5), activation=np.str_("tanh"))
    path = save(model, tmp_path / "np.pt")  # it saved, then load said "corrupt or not a torch file"
    again = load(path)
    assert again.config["strength"] == 0.5 and type(again.config["strength"]) is float
    x = torch.randn(5, 2)
    torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)
    with pytest.raises(SignnetError, match=r"^Cannot save extra\['a'\] = array\(\[0\., 0\., 0\.\]\) \(ndarray\): a "
                                           r"checkpoint is read with torch\.load\(weights_only=True\)"):
        save(model, tmp_path / "bad.pt", extra={"a": np.zeros(3)})
    assert not (tmp_path / "bad.pt").exists()
    with pytest.raises(SignnetError, match=r"^The model's parameters are on the meta device"):
        save(MLP(2, (3,), device="meta"), tmp_path / "meta.pt")


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_a_network_comes_back_in_its_own_dtype(tmp_path, dtype):
    from signnet import MLP

    model = MLP(3, (4,), dtype=dtype)
    again = load(save(model, tmp_path / "d.pt"))
    assert again[0].weight.dtype == dtype  # it came back in float32
    x = torch.randn(6, 3, dtype=dtype)
    torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)
