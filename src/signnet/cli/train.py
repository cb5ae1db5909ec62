"""``signnet train``: train a DNN or DNN+ on one of the paper's problems or a bundled data set."""

from __future__ import annotations

import time

import torch
from sklearn.model_selection import train_test_split

from signnet.nn.activations import ACTIVATIONS
from signnet.report.artifacts import run_metadata
from signnet.train.checkpoint import save
from signnet.data.datasets import DATASETS, load_dataset
from signnet.nn.enforce import METHODS, TRANSFORMS, sign_violation
from signnet.errors import SignnetError, choice_error
from signnet.nn.networks import MLP
from signnet.data.problems import PROBLEMS, make_problem
from signnet.nn.signs import NAMED_SIGNS
from signnet.train.fit import accuracy, fit
from signnet.cli.common import add_json, add_seed, emit, parse_int_list


def register(sub) -> None:
    p = sub.add_parser("train", help="train a network with sign-constrained weights",
                       description="Train a DNN (free weights) or DNN+ (non-negative weights) and report accuracy and weight signs.")
    p.add_argument("--problem", default="xor", help=f"one of {', '.join(PROBLEMS)}, or a data set: {', '.join(d for d in DATASETS if d != 'diabetes')}")
    p.add_argument("--n", type=int, default=2000, help="points drawn for a generated problem (default 2000)")
    p.add_argument("--noise", type=float, default=0.0, help="fraction of labels flipped (default 0)")
    p.add_argument("--test-size", type=float, default=0.25, help="fraction held out for testing (default 0.25)")
    p.add_argument("--weights", default="free", help="sign of every weight: free (DNN), nonneg (DNN+), nonpos")
    p.add_argument("--hidden", default="16,16", help="hidden widths, comma-separated (default 16,16)")
    p.add_argument("--activation", default="relu", help=f"one of {', '.join(ACTIVATIONS)}")
    p.add_argument("--method", default="project", help=f"sign enforcement: {', '.join(METHODS)}")
    p.add_argument("--transform", default="softplus", help=f"for --method reparam: {', '.join(TRANSFORMS)}")
    p.add_argument("--strength", type=float, default=1.0, help="for --method penalty: penalty weight")
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--optimizer", default="adam", help="adam or sgd")
    p.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: full batch)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--patience", type=int, default=None, help="stop after this many epochs without improvement")
    p.add_argument("--save", metavar="PATH", help="write a checkpoint (config and weights) here")
    add_seed(p)
    add_json(p)
    p.set_defaults(run=run)


def _data(args):
    if args.problem in PROBLEMS:
        problem = make_problem(args.problem, args.n, noise=args.noise, seed=args.seed)
        if not 0 < args.test_size < 1:
            raise SignnetError(f"--test-size {args.test_size!r} must lie strictly between 0 and 1.")
        X_tr, X_te, y_tr, y_te = train_test_split(problem.X, problem.y, test_size=args.test_size,
                                                  random_state=args.seed, stratify=problem.y)
        return X_tr, X_te, y_tr, y_te
    if args.problem in DATASETS and args.problem != "diabetes":
        d = load_dataset(args.problem, test_size=args.test_size, seed=args.seed)
        return d.X_train, d.X_test, d.y_train, d.y_test
    raise choice_error("problem", args.problem, [*PROBLEMS, *(d for d in DATASETS if d != "diabetes")])


def layer_report(model: MLP) -> list[dict]:
    """Per affine layer: ``min_weight``, ``max_weight``, ``negative_fraction``, ``shape``."""
    out = []
    for layer in model.linear_layers:
        w = layer.weight.detach()
        out.append({"shape": list(w.shape), "min_weight": float(w.min()), "max_weight": float(w.max()),
                    "negative_fraction": float((w < 0).float().mean())})
    return out


def run(args) -> int:
    if args.weights not in NAMED_SIGNS:
        raise choice_error("sign specification", args.weights, NAMED_SIGNS)
    hidden = parse_int_list(args.hidden, "--hidden", positive=True)
    X_tr, X_te, y_tr, y_te = _data(args)
    n_classes = int(max(y_tr.max(), y_te.max())) + 1
    head, out = ("binary", 1) if n_classes <= 2 else ("softmax", n_classes)
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    model = MLP(X_tr.shape[1], hidden, out, activation=args.activation, weights=args.weights, method=args.method,
                transform=args.transform, strength=args.strength, head=head)
    history = fit(model, X_tr, y_tr, epochs=args.epochs, lr=args.lr, optimizer=args.optimizer,
                  batch_size=args.batch_size, weight_decay=args.weight_decay, patience=args.patience,
                  seed=args.seed, progress=not args.json, threads="auto")
    config = {k: v for k, v in vars(args).items() if k not in ("run", "json")}
    result = {
        "problem": args.problem, "weights": args.weights,
        "train_accuracy": accuracy(model, X_tr, y_tr), "test_accuracy": accuracy(model, X_te, y_te),
        "layers": layer_report(model), "sign_violation": sign_violation(model),
        "epochs_run": history.epochs, "final_loss": history.loss[-1],
        "seconds": round(time.perf_counter() - start, 3),
        **run_metadata(config, args.seed),
    }
    if args.save:
        save(model, args.save, extra={"problem": args.problem, "n": args.n, "seed": args.seed})
        result["checkpoint"] = args.save
    min_w = min(layer["min_weight"] for layer in result["layers"])
    emit(result, args.json,
         f"{args.problem} / {args.weights}: train accuracy {result['train_accuracy']:.3f}, "
         f"test accuracy {result['test_accuracy']:.3f}, smallest weight {min_w:+.3f}, {result['seconds']:.1f} s")
    return 0
