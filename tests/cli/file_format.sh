#!/usr/bin/env bash
# The file-format docs equal the files: the tables of docs/file_format.md ("Run files") are
# parsed and real run files are checked against them both ways (every dataset and
# attribute written is documented with its shape and type; every documented row is
# written by one of these runs), and summary.h5 and the summary.csv header against the
# column table of docs/sweep.md, in order.
# Usage: file_format.sh CHAOSCHIP DATA_DIR
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
docs=$here/../../docs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > lif.toml <<'TOML'
[network]
model = "lif"
n_in = 6
n_rec = 12
n_out = 2
[task]
name = "sine"
steps = 40
[train]
rule = "eprop"
iterations = 2
[lyapunov]
k = 2
steps = 60
warmup = 10
[record]
states = true
TOML
cat > rate.toml <<'TOML'
seed = 3
[network]
model = "rate"
n_in = 4
n_rec = 10
n_out = 2
[task]
name = "decision"
steps = 30
[train]
rule = "eprop"
iterations = 3
[lyapunov]
k = 3
steps = 60
warmup = 10
twin = true
TOML

# Between them, these runs write every part of the layout.
"$exe" run -q -o default.h5                                   # embedded default: /study
"$exe" run lif.toml -q -o lif.h5 --set neuron.tau_syn=5.0
"$exe" run lif.toml -q -o alif.h5 --set network.model=\"alif\" --set lyapunov.when=[]
"$exe" run lif.toml -q -o loihi.h5 --set chip.profile=\"loihi\"
"$exe" run lif.toml -q -o xylo.h5 --set chip.profile=\"xylo\" --set chip.quantizer=\"rockpool_channel\" \
  --set train.rule=\"none\"
"$exe" run lif.toml -q -o spinnaker.h5 --set chip.profile=\"spinnaker\" --set neuron.tau_syn=5.0
"$exe" run rate.toml -q -o rate.h5 --set chip.weight_bits=4 --set chip.update_mode=\"shadow\" \
  --set floss.enabled=true --set floss.pre_epochs=2 --set floss.k=2 --set record.states=true
"$exe" lyapunov rate.toml -q -o traj.h5 --set record.states=true --set lyapunov.twin=false
"$exe" sweep rate.toml -q -o sw --grid 'train.rule="eprop","bptt"' --grid network.gain=0.5,1.5 \
  --set lyapunov.twin=false

DOCS=$docs /usr/bin/python3 - default.h5 lif.h5 alif.h5 loihi.h5 xylo.h5 spinnaker.h5 rate.h5 \
  traj.h5 <<'PY'
import csv, os, re, sys, tomllib
import h5py, numpy as np

def cells(line):
    """The cells of a markdown table row; '|' inside `code` does not split."""
    out, cur, code = [], "", False
    for ch in line.strip().strip("|"):
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()]

def tables(text):
    """Every table as (header, rows), rows as lists of cells."""
    found, block = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            block.append(cells(line))
        elif block:
            found.append((block[0], block[2:]))
            block = []
    return found

def code(cell):
    return re.findall(r"`([^`]*)`", cell)

def expand(pattern):
    """`/a/{b,c}/d` -> ['/a/b/d', '/a/c/d']."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    return [x for alt in m.group(1).split(",")
            for x in expand(pattern[:m.start()] + alt + pattern[m.end():])]

def regex(pattern):
    return re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", re.escape(pattern).replace(r"\<", "<")
                                   .replace(r"\>", ">")) + "$")

def type_of(dtype):
    if h5py.check_string_dtype(dtype) is not None:
        return "string"
    return np.dtype(dtype).name

doc = open(os.path.join(os.environ["DOCS"], "file_format.md")).read()
run_section = doc[doc.index("## Run files"):doc.index("## Case files")]
datasets, attributes, root = [], [], []
for header, rows in tables(run_section):
    key = [h.lower() for h in header]
    for row in rows:
        if key[:3] == ["path", "shape", "type"]:
            datasets.append({"paths": [regex(p) for p in expand(code(row[0])[0])],
                             "specific": -code(row[0])[0].count("<"), "doc": row[0],
                             "shapes": code(row[1]), "types": code(row[2]), "seen": 0})
        elif key[:3] == ["object", "attribute", "type"]:
            attributes.append({"objects": [regex(p) for p in expand(code(row[0])[0])],
                               "names": expand(code(row[1])[0]), "types": code(row[2]),
                               "doc": row[0] + " @" + row[1], "seen": 0})
        elif key[:2] == ["attribute", "type"]:
            root.append({"names": [code(row[0])[0]], "types": code(row[1]), "doc": row[0],
                         "seen": 0})
assert len(datasets) >= 20 and len(attributes) >= 15 and len(root) >= 8, \
    (len(datasets), len(attributes), len(root))

errors = []
def check_shape(entry, name, shape, sizes, free):
    for alt in entry["shapes"]:
        dims = [d.strip() for d in alt.strip("[]").split(",")]
        if len(dims) != len(shape):
            continue
        ok = True
        for d, n in zip(dims, shape):
            if d.isdigit():
                ok = ok and int(d) == n
            elif d in sizes:
                ok = ok and sizes[d] == n
            else:  # a size the config does not fix (T, n_spikes, ...): the same within a file
                ok = ok and free.setdefault((d, name.rsplit("/", 1)[0] if d == "n_spikes" else ""), n) == n
        if ok:
            return True
    return False

def check_attributes(fname, obj, name):
    for key in obj.attrs:
        t = type_of(obj.attrs.get_id(key).dtype)
        if name == "/":
            rows = [r for r in root if key in r["names"]]
        else:
            rows = [r for r in attributes if key in r["names"]
                    and any(p.match(name) for p in r["objects"])]
        if not rows:
            errors.append(f"{fname}: attribute {key!r} of {name} is not documented")
        elif t not in rows[0]["types"]:
            errors.append(f"{fname}: attribute {key!r} of {name} is {t}, documented "
                          f"{rows[0]['types']}")
        else:
            rows[0]["seen"] += 1

for fname in sys.argv[1:]:
    f = h5py.File(fname, "r")
    cfg = tomllib.loads(f.attrs["config"])
    net = cfg["network"]
    sizes = {"n_in": net["n_in"], "n_rec": net["n_rec"], "n_out": net["n_out"],
             "k": cfg["lyapunov"]["k"], "k_floss": cfg["floss"]["k"],
             "iterations": cfg["train"]["iterations"]}
    free = {}
    check_attributes(fname, f, "/")
    def visit(rel, obj):
        name = "/" + rel
        check_attributes(fname, obj, name)
        if not isinstance(obj, h5py.Dataset):
            return
        rows = sorted((r for r in datasets if any(p.match(name) for p in r["paths"])),
                      key=lambda r: r["specific"], reverse=True)
        if not rows:
            errors.append(f"{fname}: dataset {name} is not documented")
            return
        r, t = rows[0], type_of(obj.dtype)
        if t not in r["types"]:
            errors.append(f"{fname}: {name} is {t}, documented {r['types']}")
        elif not check_shape(r, name, obj.shape, sizes, free):
            errors.append(f"{fname}: {name} has shape {list(obj.shape)}, documented "
                          f"{r['shapes']} ({sizes})")
        else:
            r["seen"] += 1
    f.visititems(visit)

for r in datasets + attributes + root:
    if r["seen"] == 0:
        errors.append(f"documented but written by none of the runs: {r['doc']}")
print("\n".join(errors) or f"docs/file_format.md: {len(datasets)} datasets, "
      f"{len(attributes)} attributes, {len(root)} root attributes match the files")
sys.exit(1 if errors else 0)
PY

# docs/sweep.md's column table against summary.h5 and the summary.csv header, in order.
DOCS=$docs /usr/bin/python3 - <<'PY'
import csv, os, re
import h5py, numpy as np
lines = open(os.path.join(os.environ["DOCS"], "sweep.md")).read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith("| column | type in `summary.h5`"))
columns = []
for l in lines[start + 2:]:
    if not l.startswith("|"):
        break
    cell = l.split("|")
    columns.append((re.findall(r"`([^`]*)`", cell[1])[0], re.findall(r"`([^`]*)`", cell[2])))
names = [n for n, _ in columns]
assert names[0] == "<grid key>" and "seed" in names and "error" in names, names
grid = ["train.rule", "network.gain"]  # in --grid order
expected = grid + names[1:]
header = next(csv.reader(open("sw/summary.csv")))
assert header == expected, f"summary.csv header {header}\ndocs/sweep.md        {expected}"
f = h5py.File("sw/summary.h5", "r")
assert [s.decode() for s in f["grid_keys"][...]] == grid
present = set(k for k in f if isinstance(f[k], h5py.Dataset)) - {"grid_keys"}
assert present == set(expected), (present, expected)
types = dict(columns)
for key in expected:
    d = f[key]
    t = "string" if h5py.check_string_dtype(d.dtype) is not None else d.dtype.name
    allowed = types["<grid key>"] if key in grid else types[key]
    assert t in allowed and d.shape == (4,), (key, t, allowed, d.shape)
assert set(f["points"].keys()) == {f"point_{i:04d}" for i in range(4)}
print("docs/sweep.md: summary.csv header and summary.h5 columns match:", ", ".join(expected))
PY
echo "file format docs: ok"
