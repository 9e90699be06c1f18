#!/usr/bin/env python3
"""Learning curves from chaoschip run files: /train/loss (and /train/accuracy) per iteration.

Usage: plot_learning_curve.py RUN.h5 [RUN.h5 ...] -o OUT.png [--labels a,b] [--mark ITER=LOSS]
Use Debian's /usr/bin/python3 (numpy, h5py, matplotlib).
"""
import argparse

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--labels", default="")
    ap.add_argument("--mark", action="append", default=[],
                    help="reference points ITER=LOSS (1-based iteration), e.g. 200=61.4")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    labels = args.labels.split(",") if args.labels else args.runs
    has_acc = False
    curves = []
    for path, label in zip(args.runs, labels):
        with h5py.File(path, "r") as f:
            loss = f["train/loss"][...]
            acc = f["train/accuracy"][...] if "train/accuracy" in f else None
        has_acc |= acc is not None
        curves.append((label, loss, acc))
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 6, 4), squeeze=False)
    ax = axes[0, 0]
    for label, loss, _ in curves:
        ax.plot(range(1, len(loss) + 1), loss, label=label, lw=1)
    for m in args.mark:
        it, val = m.split("=")
        ax.plot([int(it)], [float(val)], "kx", ms=8, label=f"reference: {val} at {it}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    if has_acc:
        ax2 = axes[0, 1]
        for label, _, acc in curves:
            if acc is not None:
                ax2.plot(range(1, len(acc) + 1), acc, label=label, lw=1)
        ax2.set_xlabel("iteration")
        ax2.set_ylabel("accuracy")
        ax2.set_ylim(0, 1.02)
        ax2.legend(fontsize=8)
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
