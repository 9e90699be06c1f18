#!/usr/bin/python3
"""Lyapunov spectrum of a discrete rate network in NumPy, the way Engelken's
RNN-LyapunovSpectra Python demo computes it: an explicit Jacobian every step,
q = D @ q, numpy.linalg.qr every step, log|diag R| accumulated.

Network: h <- (1 - dt) h + dt * W tanh(h), W_ij = g N(0,1)/sqrt(N), zero diagonal
(Euler-discretised rate network, dt = 0.1 tau). The same network and algorithm as
bench_lyapunov.cpp. Prints JSON: ms per step for each (N, k), and the BLAS in use.

Usage: lyapunov_numpy.py [--sizes 500,1000] [--ks full,10] [--steps 20] [--out FILE]
Run with OPENBLAS_NUM_THREADS=1 (run_all.sh does) and, for OpenBLAS, LD_LIBRARY_PATH
pointing at an openblas directory holding libblas.so.3 and liblapack.so.3.
"""
import argparse
import json
import os
import re
import time

import numpy as np


def blas_libraries():
    """The BLAS/LAPACK shared objects this process actually loaded."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if any(s in path for s in ("blas", "lapack")) and re.search(r"\.so(\.\d+)*$", path):
                libs.add(os.path.realpath(path))
    return sorted(p for p in libs if p.startswith("/"))


def spectrum_time(n, k, steps, g=2.0, dt=0.1, seed=1):
    rng = np.random.default_rng(seed)
    w = g * rng.standard_normal((n, n)) / np.sqrt(n)
    w -= np.diag(np.diag(w))
    h = rng.standard_normal(n)
    q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    ddiag = np.eye(n) * (1 - dt)
    ls = np.zeros(k)
    # One untimed step (first-call overheads), then the timed loop.
    for timed in (False, True):
        t0 = time.perf_counter()
        for _ in range(steps if timed else 1):
            hsechdt = dt / np.cosh(h) ** 2          # derivative of tanh(h) * dt
            h = h * (1 - dt) + dt * (w @ np.tanh(h))  # network dynamics
            d = ddiag + w * hsechdt                 # explicit Jacobian
            q = d @ q
            q, r = np.linalg.qr(q)
            ls += np.log(np.abs(np.diag(r)))
        elapsed = time.perf_counter() - t0
    return 1e3 * elapsed / steps, ls / (steps + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="500,1000")
    ap.add_argument("--ks", default="full,10")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    rows = []
    for n in map(int, a.sizes.split(",")):
        for ks in a.ks.split(","):
            k = n if ks == "full" else int(ks)
            steps = a.steps if k == n else 10 * a.steps
            times = [spectrum_time(n, k, steps)[0] for _ in range(a.repeat)]
            rows.append({"n": n, "k": k, "steps": steps, "ms_per_step": float(np.median(times)),
                         "min": float(np.min(times))})
            print(f"N={n} k={k}: {rows[-1]['ms_per_step']:.3f} ms/step", flush=True)
    info = {"numpy": np.__version__, "blas": blas_libraries(),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"), "rows": rows}
    text = json.dumps(info, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
