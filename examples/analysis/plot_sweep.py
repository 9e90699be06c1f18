#!/usr/bin/python3
"""Plots of a chaoschip sweep summary (DIR/summary.h5 written by `chaoschip sweep`).

Usage: plot_sweep.py SUMMARY.h5 [-o OUTDIR] [--x KEY] [--by KEY] [--title TEXT]

Reads the rows with status "ok", averages over seeds (mean, sd as error bars) and writes
PNGs to OUTDIR (default: the summary's directory), printing their paths:
  final_loss.png, final_accuracy.png  final loss (accuracy, if defined) vs x, a line per --by
  lambda_max.png      lambda_max before (dashed) and after (solid) training vs x
  flossing_gain.png   if floss.enabled is a grid key: loss without/with flossing, and change
  loss_vs_bits.png    if chip.weight_bits is a grid key: loss vs bits per chip.update_rounding
x defaults to network.gain, else chip.weight_bits, else the first numeric grid key; --by to
the first other grid key. Other grid keys are averaged over (with a note). Exit code 2 on a
missing or unreadable file or a summary without ok rows.
Use Debian's /usr/bin/python3 (numpy, h5py, matplotlib).
"""
import argparse
import os
import sys

import h5py
import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METRICS = ("final_loss", "final_accuracy", "lambda_max_before", "lambda_max_after")
LABELS = {"network.gain": "initial gain g", "chip.weight_bits": "weight bits",
          "network.dt": "dt (ms)", "neuron.tau_m": "tau_m (ms)", "readout.tau": "readout tau (ms)",
          "final_loss": "final loss", "final_accuracy": "final accuracy",
          "lambda_max": "lambda_max (1/step)"}
FLOSS, BITS, ROUNDING = "floss.enabled", "chip.weight_bits", "chip.update_rounding"


def fail(msg):
    print(f"plot_sweep.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load(path):
    """Grid keys and the ok rows as {column: array} (numbers float64, strings object)."""
    if not os.path.isfile(path):
        fail(f"no such file: {path}")
    try:
        with h5py.File(path, "r") as f:
            keys = [k for k in f["grid_keys"].asstr()[()] if k != "seed"]
            cols = {}
            for name in keys + ["status", "seed", *METRICS]:
                d = f[name]
                cols[name] = d.asstr()[()] if h5py.check_string_dtype(d.dtype) else d[()] * 1.0
    except (OSError, KeyError, TypeError, ValueError) as e:
        fail(f"cannot read {path} as a sweep summary: {' '.join(str(e).split())}")
    ok = cols["status"] == "ok"
    if not ok.any():
        fail(f"{path}: no rows with status \"ok\" ({len(ok)} rows)")
    return keys, {k: np.asarray(v)[ok] for k, v in cols.items()}


def levels(v):
    """Distinct values: numbers sorted, strings in order of appearance."""
    if v.dtype.kind == "f":
        return list(np.unique(v))
    return list(dict.fromkeys(v))


def fmt(v):
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def curve(rows, y, xkey, xs, sel):
    """Mean and sd of y over the selected rows at each x level (NaNs ignored)."""
    m, s = np.full(len(xs), np.nan), np.zeros(len(xs))
    for i, x in enumerate(xs):
        v = y[sel & (rows[xkey] == x)]
        v = v[np.isfinite(v)]
        if v.size:
            m[i], s[i] = v.mean(), v.std(ddof=1) if v.size > 1 else 0.0
    return m, s


def xaxis(ax, rows, xkey):
    """Levels of x and their positions (categorical x: 0, 1, ... with tick labels)."""
    xs = levels(rows[xkey])
    xp = np.asarray(xs, float) if rows[xkey].dtype.kind == "f" else np.arange(len(xs), dtype=float)
    if rows[xkey].dtype.kind != "f" or len(xs) <= 12:
        ax.set_xticks(xp, [fmt(x) for x in xs])
    return xs, xp


def lines(ax, rows, metric, xkey, per, mask=None, label=None, **style):
    """One line per value of `per` (or one line) over the masked rows; {value: means}."""
    xs, xp = xaxis(ax, rows, xkey)
    mask = np.ones(len(rows["seed"]), bool) if mask is None else mask
    out = {}
    for i, g in enumerate(levels(rows[per]) if per else [None]):
        sel = mask & (rows[per] == g) if per else mask
        m, s = curve(rows, rows[metric], xkey, xs, sel)
        name = f"{per} = {fmt(g)}" + (f", {label}" if label else "") if per else label
        ax.errorbar(xp, m, yerr=s, marker="o", capsize=3, color=f"C{i}", label=name, **style)
        out[g] = m
    ax.set_xlabel(LABELS.get(xkey, xkey))
    return xp, out


def logy(ax, y):
    """Log y axis when all values are positive and span more than a factor 20."""
    y = y[np.isfinite(y)]
    if y.size and y.min() > 0 and y.max() > 20 * y.min():
        ax.set_yscale("log")


def note(name, rows, keys, used):
    rest = [f"{k} ({len(levels(rows[k]))} values)" for k in keys
            if k not in used and len(levels(rows[k])) > 1]
    if rest:
        print(f"note: {name} averages over {', '.join(rest)}")


def save(fig, outdir, name, title):
    if title:
        fig.suptitle(title)
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("summary", help="DIR/summary.h5 of `chaoschip sweep`")
    ap.add_argument("-o", "--outdir", help="where to write the PNGs (default: next to SUMMARY)")
    ap.add_argument("--x", help="grid key on the x axis")
    ap.add_argument("--by", help="grid key with one line per value")
    ap.add_argument("--title", default="")
    ap.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                    help="keep only the rows with this grid value (repeatable)")
    args = ap.parse_args()
    keys, rows = load(args.summary)
    for cond in args.where:
        k, _, v = cond.partition("=")
        if k not in keys:
            fail(f"--where {cond}: {k} is not a grid key (grid keys: {', '.join(keys)})")
        sel = rows[k] == (float(v) if rows[k].dtype.kind == "f" else v)
        if not sel.any():
            fail(f"--where {cond}: no ok rows have this value")
        rows = {name: col[sel] for name, col in rows.items()}
        keys = [key for key in keys if key != k]
    if not keys:
        fail(f"{args.summary}: no grid keys (only seeds): nothing to plot against")
    numeric = [k for k in keys if rows[k].dtype.kind == "f"]
    x = args.x or next((k for k in ("network.gain", BITS) if k in keys), (numeric or keys)[0])
    by = args.by or next((k for k in keys if k != x), None)
    for k in (x, by):
        if k is not None and k not in keys:
            fail(f"{k} is not a grid key of {args.summary} (grid keys: {', '.join(keys)})")
    if by == x:
        fail(f"--by must differ from --x ({x})")
    outdir = args.outdir or os.path.dirname(os.path.abspath(args.summary))
    os.makedirs(outdir, exist_ok=True)
    plt.rcParams.update({"font.size": 12, "legend.fontsize": 10, "axes.grid": True,
                         "grid.alpha": 0.3})
    note("final_loss.png, lambda_max.png", rows, keys, (x, by))

    for metric in ("final_loss", "final_accuracy"):
        y = rows[metric][np.isfinite(rows[metric])]
        if not y.size:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        lines(ax, rows, metric, x, by)
        if metric == "final_loss":
            logy(ax, y)
        ax.set_ylabel(LABELS[metric])
        if by:
            ax.legend()
        save(fig, outdir, f"{metric}.png", args.title)

    if np.isfinite(rows["lambda_max_before"]).any() or np.isfinite(rows["lambda_max_after"]).any():
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ax.axhline(0, color="k", lw=0.8)
        lines(ax, rows, "lambda_max_before", x, by, ls="--", alpha=0.7, label="before")
        lines(ax, rows, "lambda_max_after", x, by, ls="-", label="after")
        ax.set_ylabel(LABELS["lambda_max"])
        ax.legend(title="dashed: before, solid: after training", fontsize=9,
                  title_fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
        save(fig, outdir, "lambda_max.png", args.title)

    if FLOSS in keys and x != FLOSS:
        per = by if by != FLOSS else next((k for k in keys if k not in (x, FLOSS)), None)
        note("flossing_gain.png", rows, keys, (x, FLOSS, per))
        on = np.array([str(v).lower() == "true" for v in rows[FLOSS]])
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
        _, without = lines(ax, rows, "final_loss", x, per, ~on, "without flossing", ls="--")
        xp, with_ = lines(ax, rows, "final_loss", x, per, on, "with flossing", ls="-")
        logy(ax, rows["final_loss"])
        ax.set_ylabel(LABELS["final_loss"])
        ax.set_xlabel("")
        ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
        for i, g in enumerate(with_):
            ax2.plot(xp, 100 * (with_[g] - without[g]) / without[g], "o-", color=f"C{i}")
        ax2.axhline(0, color="k", lw=0.8)
        ax2.set_ylabel("change with flossing (%)")
        ax2.set_xlabel(LABELS.get(x, x))
        save(fig, outdir, "flossing_gain.png", args.title)

    if BITS in keys:
        per = ROUNDING if ROUNDING in keys else (by if by != BITS else x)
        note("loss_vs_bits.png", rows, keys, (BITS, per))
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        lines(ax, rows, "final_loss", BITS, per)
        logy(ax, rows["final_loss"])
        ax.set_ylabel(LABELS["final_loss"])
        if per:
            ax.legend()
        save(fig, outdir, "loss_vs_bits.png", args.title)


if __name__ == "__main__":
    main()
