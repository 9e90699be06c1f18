#!/usr/bin/python3
"""Flossing studies with chaoschip, run through the executable (one run file per point):

  headline  Engelken's headline: a chaotic rate network (examples/studies/flossing_copy.toml,
            g = 2.5) trained with BPTT on delayed copy, without flossing, with `bptt` and with
            `local` flossing before training; success rate over seeds.
  gains     the study's headline: e-prop with and without `local` flossing before training,
            over initial gains x seeds; mean final loss per gain.

Success (headline): mean loss of the last 20 iterations below 10 % of the chance loss (always
answering 0.5: 0.5 * 0.25 per counted step). Prints markdown tables (stdout) for docs/.

Usage: flossing_study.py headline [--seeds 8] [common options]
       flossing_study.py gains [--gains 0.5,1,1.5,2,2.5,3] [--seeds 5] [--rule eprop] [...]
Common: --exe build/bin/chaoschip  --config FILE  --out DIR  --set KEY=VALUE (repeatable)
"""
import argparse
import os
import subprocess
import sys
import tomllib

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))


def run(a, path, sets):
    """One run; returns (final loss, lambda_1 before, last flossing window, after)."""
    if not os.path.exists(path):  # resumable: finished points are kept
        cmd = [a.exe, "run", a.config, "-o", path, "-q"]
        for s in a.sets + sets:
            cmd += ["--set", s]
        subprocess.run(cmd, check=True)
    f = h5py.File(path, "r")
    mid = f["floss/exponents"][-1, 0] if "floss" in f else np.nan
    return (f["train/loss"][-20:].mean(), f["lyapunov/before/exponents"][0], mid,
            f["lyapunov/after/exponents"][0])


def chance_loss(a):
    cfg = tomllib.load(open(a.config, "rb"))
    task = dict(cfg["task"])
    for s in a.sets:
        k, v = s.split("=", 1)
        if k.startswith("task."):
            task[k[5:]] = tomllib.loads(f"x = {v}")["x"]
    return 0.5 * 0.25 * (task["steps"] - task.get("delay", 0))


def command(a, extra):
    return " ".join(["examples/studies/flossing_study.py", a.mode] + extra +
                    [f"--set '{s}'" for s in a.sets])


def headline(a):
    chance = chance_loss(a)
    conditions = {"no flossing": ["floss.enabled=false"],
                  "bptt flossing": ["floss.enabled=true", 'floss.variant="bptt"'],
                  "local flossing": ["floss.enabled=true", 'floss.variant="local"']}
    print(f"Success = final loss < {0.1 * chance:.3g} (10 % of chance, {chance:.3g}). "
          f"Command: `{command(a, [f'--seeds {a.seeds}'])}`\n")
    print("| condition | success | median final loss | final loss per seed | lambda_1 before | "
          "lambda_1, last flossing window | lambda_1 after training |")
    print("|---|---|---|---|---|---|---|")
    for name, extra in conditions.items():
        r = np.array([run(a, os.path.join(a.out, f"{name.split()[0]}_{s}.h5"),
                          extra + [f"seed={s}"]) for s in range(1, a.seeds + 1)])
        ok = r[:, 0] < 0.1 * chance
        mid = f"{np.nanmean(r[:, 2]):+.3f}" if not np.all(np.isnan(r[:, 2])) else "-"
        print(f"| {name} | **{ok.sum()}/{len(ok)}** | {np.median(r[:, 0]):.3g} | "
              f"{' '.join(f'{x:.3g}' for x in r[:, 0])} | {r[:, 1].mean():+.3f} | {mid} | "
              f"{r[:, 3].mean():+.3f} |")
        sys.stdout.flush()


def gains(a):
    gs = [float(g) for g in a.gains.split(",")]
    rule = [f'train.rule="{a.rule}"']
    print(f"Rule {a.rule}; mean (sd) of the final loss over {a.seeds} seeds; chance "
          f"{chance_loss(a):.3g}. Command: "
          f"`{command(a, [f'--gains {a.gains}', f'--seeds {a.seeds}', f'--rule {a.rule}'])}`\n")
    print("| g | lambda_1 at init | plain | + local flossing | lambda_1 after flossing | "
          "better with flossing (seeds) |")
    print("|---|---|---|---|---|---|")
    for g in gs:
        common = rule + [f"network.gain={g}"]
        plain = np.array([run(a, os.path.join(a.out, f"plain_g{g}_{s}.h5"),
                              common + ["floss.enabled=false", f"seed={s}"])
                          for s in range(1, a.seeds + 1)])
        floss = np.array([run(a, os.path.join(a.out, f"floss_g{g}_{s}.h5"),
                              common + ["floss.enabled=true", 'floss.variant="local"', f"seed={s}"])
                          for s in range(1, a.seeds + 1)])
        better = int((floss[:, 0] < plain[:, 0]).sum())
        mark = "**" if floss[:, 0].mean() < plain[:, 0].mean() else ""
        print(f"| {g:g} | {plain[:, 1].mean():+.3f} | {plain[:, 0].mean():.3g} ({plain[:, 0].std():.2g}) | "
              f"{mark}{floss[:, 0].mean():.3g} ({floss[:, 0].std():.2g}){mark} | "
              f"{floss[:, 2].mean():+.3f} | {better}/{a.seeds} |")
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["headline", "gains"])
    ap.add_argument("--exe", default=os.path.join(root, "build", "bin", "chaoschip"))
    ap.add_argument("--config", default=os.path.join(here, "flossing_copy.toml"))
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--gains", default="0.5,1,1.5,2,2.5,3")
    ap.add_argument("--rule", default="eprop")
    ap.add_argument("--out", default=None)
    ap.add_argument("--set", action="append", default=[], dest="sets")
    a = ap.parse_args()
    a.seeds = a.seeds or (8 if a.mode == "headline" else 5)
    a.out = a.out or f"flossing_{a.mode}"
    os.makedirs(a.out, exist_ok=True)
    headline(a) if a.mode == "headline" else gains(a)


if __name__ == "__main__":
    main()
