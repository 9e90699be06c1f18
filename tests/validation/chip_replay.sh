#!/usr/bin/env bash
# A fixed-point run file holds everything needed to replay the chip's arithmetic: this
# test runs chaoschip on the loihi and xylo profiles with record.states, then replays
# Lava's and xylosim's equations in NumPy from the file alone (/chip/ parameters, integer
# weights with weight_exp / weight_shift, input spikes, the config's iteration length)
# and requires the recorded integer states and spikes to match exactly.
# Usage: chip_replay.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
common=(--quiet --set train.iterations=3 --set record.states=true --set network.n_rec=60
        --set network.gain=1.5)
"$exe" run "${common[@]}" --set chip.profile=loihi -o loihi.h5
"$exe" run "${common[@]}" --set chip.profile=xylo --set chip.weight_bits=6 -o xylo.h5
"$exe" run "${common[@]}" --set chip.profile=xylo --set chip.quantizer=rockpool_channel -o xylo_channel.h5
/usr/bin/python3 - <<'PY'
import h5py, numpy as np, tomllib

def load(path):
    f = h5py.File(path, "r")
    cfg = tomllib.loads(f.attrs["config"])
    T = cfg["task"]["steps"]; iters = cfg["train"]["iterations"]
    n_in, n = cfg["network"]["n_in"], cfg["network"]["n_rec"]
    x = np.zeros((T * iters, n_in), dtype=np.int64)
    steps = np.rint(f["spikes/input/timestamps"][...] / cfg["network"]["dt"]).astype(int)
    np.add.at(x, (steps, f["spikes/input/node_ids"][...].astype(int)), 1)
    z = np.zeros((T * iters, n), dtype=np.int64)
    steps = np.rint(f["spikes/recurrent/timestamps"][...] / cfg["network"]["dt"]).astype(int)
    np.add.at(z, (steps, f["spikes/recurrent/node_ids"][...].astype(int)), 1)
    return f, cfg, T, iters, x, z

def shift(acc, e):
    return acc << e if e >= 0 else acc >> -e

def replay_loihi(path):
    f, cfg, T, iters, x, z_file = load(path)
    c = {k: int(f["chip/" + k][0]) for k in ("du", "dv", "vth", "bias_mant", "bias_exp")}
    w_in = f["network/initial/w_in"]; w_rec = f["network/initial/w_rec"]
    assert w_in.dtype == np.int32 and "weight_exp" in w_in.attrs
    e_in, e_rec = int(w_in.attrs["weight_exp"]), int(w_rec.attrs["weight_exp"])
    W_in, W_rec = w_in[...].astype(np.int64), w_rec[...].astype(np.int64)
    n = W_rec.shape[0]; MAX = 1 << 23
    bias = c["bias_mant"] << c["bias_exp"] if c["bias_exp"] >= 0 else c["bias_mant"] >> -c["bias_exp"]
    U, V, Z = [], [], []
    for it in range(iters):
        u = np.zeros(n, np.int64); v = np.zeros(n, np.int64)
        buf = np.zeros(n, np.int64)
        for t in range(it * T, (it + 1) * T):
            a = buf
            p = u * (4096 - (c["du"] + 1))
            cu = np.sign(p) * (np.abs(p) >> 12) + (a << 6)
            w = np.where(cu > MAX, cu - 2 * MAX, cu)
            u = np.where(w <= -MAX, cu + 2 * MAX, w)
            q = v * (4096 - c["dv"])
            v = np.clip(np.sign(q) * (np.abs(q) >> 12) + u + bias, -(MAX - 1), MAX - 1)
            s = v > (c["vth"] << 6)
            v = np.where(s, 0, v)
            buf = shift(W_in @ x[t], e_in) + shift(W_rec @ s.astype(np.int64), e_rec)
            U.append(u); V.append(v); Z.append(s.astype(np.int64))
    assert np.array_equal(np.array(U), f["states/recurrent/u"][...]), "u differs"
    assert np.array_equal(np.array(V), f["states/recurrent/v"][...]), "v differs"
    assert np.array_equal(np.array(Z), z_file), "spikes differ"
    print(f"{path}: u, v and {z_file.sum()} spikes replayed exactly over {iters * T} steps")

def replay_xylo(path):
    f, cfg, T, iters, x, z_file = load(path)
    dm, ds = int(f["chip/dash_mem"][0]), int(f["chip/dash_syn"][0])
    bias, vth = int(f["chip/bias"][0]), f["chip/v_th"][...].astype(np.int64)
    max_spikes = int(f["chip/max_spikes"][0])
    w_in = f["network/initial/w_in"]; w_rec = f["network/initial/w_rec"]
    s_in, s_rec = int(w_in.attrs["weight_shift"]), int(w_rec.attrs["weight_shift"])
    W_in = (w_in[...].astype(np.int64) << s_in).astype(np.int16).astype(np.int64)
    W_rec = (w_rec[...].astype(np.int64) << s_rec).astype(np.int16).astype(np.int64)
    n = W_rec.shape[0]
    sat = lambda a: np.clip(a, -32768, 32767)
    def decay(a, d):
        r = a >> d
        return np.where(r != 0, r, np.sign(a))
    I, V, Z = [], [], []
    for it in range(iters):
        isyn = np.zeros(n, np.int64); v = np.zeros(n, np.int64); prev = np.zeros(n, np.int64)
        for t in range(it * T, (it + 1) * T):
            for j in np.nonzero(x[t])[0]:           # input events by source index
                for _ in range(min(x[t, j], 15)):
                    isyn = sat(isyn + W_in[:, j])
            for j in np.nonzero(prev)[0]:            # recurrent events of the previous step
                for _ in range(min(prev[j], 31)):
                    isyn = sat(isyn + W_rec[:, j])
            isyn = isyn - decay(isyn, ds)
            dv = (-decay(v, dm)).astype(np.int16).astype(np.int64)
            dv = sat(sat(dv + isyn) + bias)
            v = sat(v + dv)
            count = np.zeros(n, np.int64)
            while True:
                fire = (v >= vth) & (count < max_spikes)
                if not fire.any(): break
                count += fire
                v = np.where(fire, (v - vth).astype(np.int16).astype(np.int64), v)
            prev = count
            I.append(isyn); V.append(v); Z.append(count)
    assert np.array_equal(np.array(I), f["states/recurrent/i_syn"][...]), "i_syn differs"
    assert np.array_equal(np.array(V), f["states/recurrent/v"][...]), "v differs"
    assert np.array_equal(np.array(Z), z_file), "spikes differ"
    print(f"{path}: i_syn, v and {z_file.sum()} spikes replayed exactly over {iters * T} steps")

replay_loihi("loihi.h5")
replay_xylo("xylo.h5")
replay_xylo("xylo_channel.h5")
PY
echo "1 passed, 0 failed"
