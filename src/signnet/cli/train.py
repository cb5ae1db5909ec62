"""``signnet train``: train a DNN or DNN+ on one of the paper's problems or a bundled data set."""

from __future__ import annotations

import time

import torch
from sklearn.model_selection import train_test_split

from signnet.cli.common import add_json, add_seed, config_of, emit, parse_int_list
from signnet.data.datasets import DATASETS, load_dataset
from signnet.data.problems import PROBLEMS, make_problem
from signnet.errors import SignnetError
from signnet.nn.activations import ACTIVATIONS
from signnet.nn.enforce import METHODS, TRANSFORMS, sign_violation
from signnet.nn.networks import MLP
from signnet.nn.signs import NAMED_SIGNS
from signnet.report.artifacts import run_metadata, staged_file
from signnet.report.render import number
from signnet.train.checkpoint import read_checkpoint, save
from signnet.train.checks import FLOAT32_MAX
from signnet.train.fit import OPTIMIZERS, accuracy, fit
from signnet.validation import (
    check_choice,
    check_device,
    check_float,
    check_fraction,
    check_non_negative,
    check_output_file,
    check_positive,
    check_size,
    check_split,
)

MAX_PARAMETERS = 10**9  # 4 GB of float32 weights, 16 GB with Adam's moments and the gradient: beyond, refuse
# the bundled data sets `train` accepts (diabetes is a regression set)
CLASSIFICATION_SETS = tuple(d for d in DATASETS if d != "diabetes")


def register(sub) -> None:
    p = sub.add_parser("train", help="train a network with sign-constrained weights",
                       description="Train a DNN (free weights) or DNN+ (non-negative weights) and report accuracy "
                                   "and weight signs.")
    p.add_argument("--problem", default="xor",
                   help=f"one of {', '.join(PROBLEMS)}, or a data set: {', '.join(CLASSIFICATION_SETS)}")
    p.add_argument("--n", type=int, default=2000, help="points drawn for a generated problem (default 2000)")
    p.add_argument("--noise", type=float, default=0.0, help="fraction of labels flipped (default 0)")
    p.add_argument("--test-size", type=float, default=0.25, help="fraction held out for testing (default 0.25)")
    p.add_argument("--weights", default="free", help="sign of every weight: free (DNN), nonneg (DNN+), nonpos")
    p.add_argument("--hidden", default="16,16", help="hidden widths, comma-separated (default 16,16)")
    p.add_argument("--activation", default="relu", help=f"one of {', '.join(ACTIVATIONS)}")
    p.add_argument("--method", default="project", help=f"sign enforcement: {', '.join(METHODS)}")
    p.add_argument("--transform", default="softplus", help=f"for --method reparam: {', '.join(TRANSFORMS)}")
    p.add_argument("--strength", type=float, default=1.0, help="for --method penalty: penalty weight")
    p.add_argument("--epochs", type=int, default=500, help="most epochs to run (default 500)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--optimizer", default="adam", help=f"one of {', '.join(OPTIMIZERS)}")
    p.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: full batch)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay, >= 0 (default 0)")
    p.add_argument("--patience", type=int, default=None, help="stop after this many epochs without improvement")
    p.add_argument("--validation-fraction", type=float, default=None, metavar="F",
                   help="hold out this share of the training data (stratified) and stop early on its loss, "
                        "restoring the best weights (default: none, stop on the training loss)")
    p.add_argument("--device", default="cpu", help="auto (cuda if available), cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--save", metavar="PATH", help="write a checkpoint (config and weights) here")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def _data(args):
    if args.problem in PROBLEMS:
        problem = make_problem(args.problem, args.n, noise=args.noise, seed=args.seed)
        check_split(problem.y, args.test_size, what=f"The {args.n} points drawn for {args.problem} (--n {args.n})",
                    fix="use a larger --n (e.g. 100)")
        X_tr, X_te, y_tr, y_te = train_test_split(problem.X, problem.y, test_size=args.test_size,
                                                  random_state=args.seed, stratify=problem.y)
        return X_tr, X_te, y_tr, y_te
    d = load_dataset(args.problem, test_size=args.test_size, seed=args.seed)
    return d.X_train, d.X_test, d.y_train, d.y_test


def check_args(args) -> None:
    """Check every argument of ``signnet train`` before any work; raise SignnetError naming the flag."""
    check_choice(args.problem, "problem", [*PROBLEMS, *CLASSIFICATION_SETS])
    args.n = check_size(args.n, "--n")
    args.noise = check_float(args.noise, "--noise", minimum=0.0, maximum=0.5)
    args.test_size = check_fraction(args.test_size, "--test-size", inclusive=False)
    check_choice(args.weights, "sign specification", NAMED_SIGNS)
    args.hidden_sizes = parse_int_list(args.hidden, "--hidden", positive=True)
    check_choice(args.activation, "activation", ACTIVATIONS)
    check_choice(args.method, "enforcement method", METHODS)
    check_choice(args.transform, "reparametrisation transform", TRANSFORMS)
    args.strength = check_non_negative(args.strength, "--strength")
    args.epochs = check_size(args.epochs, "--epochs")
    args.lr = check_positive(args.lr, "--lr")
    check_choice(args.optimizer, "optimizer", OPTIMIZERS)
    if args.batch_size is not None:
        args.batch_size = check_size(args.batch_size, "--batch-size")
    args.weight_decay = check_float(args.weight_decay, "--weight-decay", minimum=0.0, maximum=FLOAT32_MAX)
    if args.patience is not None:
        args.patience = check_size(args.patience, "--patience")
    if args.validation_fraction is not None:
        args.validation_fraction = check_fraction(args.validation_fraction, "--validation-fraction", inclusive=False)
    args.train_device = check_device(args.device, "--device")
    if args.save is not None:
        path = check_output_file(args.save, "--save")
        if path.is_file():
            try:
                read_checkpoint(path)
            except SignnetError:
                raise SignnetError(f"--save {args.save!r} is an existing file that is not a signnet checkpoint; give "
                                   "a new path (signnet replaces only its own checkpoints).") from None


def layer_report(model: MLP) -> list[dict]:
    """Per affine layer: ``min_weight``, ``max_weight``, ``negative_fraction``, ``shape``."""
    out = []
    for layer in model.linear_layers:
        w = layer.weight.detach()
        out.append({"shape": list(w.shape), "min_weight": float(w.min()), "max_weight": float(w.max()),
                    "negative_fraction": float((w < 0).float().mean())})
    return out


def run(args) -> int:
    check_args(args)
    hidden = args.hidden_sizes
    X_tr, X_te, y_tr, y_te = _data(args)
    n_classes = int(max(y_tr.max(), y_te.max())) + 1
    head, out = ("binary", 1) if n_classes <= 2 else ("softmax", n_classes)
    widths = [X_tr.shape[1], *hidden, out]
    n_parameters = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=False))
    if n_parameters > MAX_PARAMETERS:
        raise SignnetError(f"--hidden {args.hidden} gives a network of {n_parameters:.3g} parameters, more than "
                           f"signnet train builds ({MAX_PARAMETERS:.0e}); use smaller widths, e.g. --hidden 64,64.")
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching the caller's generator
        torch.manual_seed(args.seed)
        model = MLP(X_tr.shape[1], hidden, out, activation=args.activation, weights=args.weights,
                    method=args.method, transform=args.transform, strength=args.strength, head=head)
    history = fit(model, X_tr, y_tr, epochs=args.epochs, lr=args.lr, optimizer=args.optimizer,
                  batch_size=args.batch_size, weight_decay=args.weight_decay, patience=args.patience,
                  seed=args.seed, progress=True, threads="auto",
                  validation_fraction=args.validation_fraction, device=args.train_device)
    model.to("cpu")  # reports and checkpoints read CPU tensors
    config = {k: v for k, v in config_of(args).items() if k not in ("hidden_sizes", "train_device")}
    result = {
        "problem": args.problem, "weights": args.weights,
        "train_accuracy": accuracy(model, X_tr, y_tr), "test_accuracy": accuracy(model, X_te, y_te),
        "layers": layer_report(model), "sign_violation": sign_violation(model),
        "epochs_run": history.epochs, "final_loss": history.loss[-1], "stop_reason": history.stop_reason,
        "validation_fraction": args.validation_fraction, "device": str(args.train_device),
        "best_epoch": history.best_epoch, "best_val_loss": min(history.val_loss) if history.val_loss else None,
        "seconds": round(time.perf_counter() - start, 3),
        **run_metadata(config, args.seed),
    }
    if args.save is not None:
        with staged_file(args.save) as tmp:
            save(model, tmp, extra={"problem": args.problem, "n": args.n, "seed": args.seed})
        result["checkpoint"] = args.save
    min_w = min(layer["min_weight"] for layer in result["layers"])
    emit(result, args.json,
         f"{args.problem} / {args.weights}: train accuracy {number(result['train_accuracy'])}, "
         f"test accuracy {number(result['test_accuracy'])}, smallest weight {min_w:+.3f}, {result['seconds']:.1f} s")
    return 0
