#!/usr/bin/env bash
# The repository is self-contained: no file refers to a place outside it, and every
# reference between its files resolves. Checks, over the source tree (git's tracked and
# untracked-but-not-ignored files in a git checkout, else every file outside build*/):
#   1. no text file names an outside location: the design and spec pages of the project's
#      planning area, or an absolute path on the development machine (patterns below);
#   2. no relative path (`../...`) at the start of a word leaves the repository;
#   3. every relative markdown link in a *.md file points to an existing file;
#   4. every docs page named anywhere as docs/<page>.md exists;
#   5. every page under docs/ is indexed in docs/README.md;
#   6. every `path` in backticks in a *.md file that starts with a top-level folder exists.
# Each failure lists file:line and the offending text. The patterns are built from pieces,
# so that this script does not match them itself.
# Usage: self_contained.sh CHAOSCHIP DATA_DIR (neither is used: the test reads the sources)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ -e "$root/.git" ] && git -C "$root" rev-parse --show-toplevel > /dev/null 2>&1 &&
  [ "$(cd "$(git -C "$root" rev-parse --show-toplevel)" && pwd)" = "$root" ]; then
  git -C "$root" ls-files -z --cached --others --exclude-standard > "$list"
else
  (cd "$root" && find . \( -name '.git' -o -name 'build*' \) -prune -o -type f -print0 |
    sed -z 's|^\./||') > "$list"
fi

/usr/bin/python3 - "$root" "$list" <<'PY'
import os, re, sys

root, listing = sys.argv[1], sys.argv[2]
files = sorted({f for f in open(listing, 'rb').read().decode().split('\0')
                if f and os.path.isfile(os.path.join(root, f))})

# Outside locations, assembled so that this file holds none of them literally: the
# planning area's folder and pages anywhere in a line, and absolute paths of the development
# machine where a path starts (a home folder inside a longer path is not flagged).
outside = ['shar' + 'ed/', 'INTER' + 'FACE.md', 'ARCHI' + 'TECTURE.md', 'EXAM' + 'PLES.md']
start = r'(?:^|(?<=[\s"\'`(<=,:;]))'
absolute = re.compile(start + '/(?:' + '|'.join(['wo' + 'rk', 'ho' + 'me', 'ro' + 'ot']) + ')/')

def text_of(rel):
    data = open(os.path.join(root, rel), 'rb').read()
    if b'\0' in data[:8192]:
        return None  # binary (HDF5 case files, figures)
    return data.decode('utf-8', errors='replace')

def inside(path):
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)

hits = []
link = re.compile(r'\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
updir = re.compile(start + r'((?:\.\./)+[^\s"\'`)>,:;]*)')
docs_md = re.compile(r'(?<![\w./-])docs/([\w./-]+?\.md)\b')
quoted = re.compile(r'`([^`\s]+)`')
tops = {f.split('/')[0] for f in files if '/' in f}
texts = {}
for rel in files:
    text = text_of(rel)
    if text is None:
        continue
    texts[rel] = text
    here = os.path.dirname(os.path.join(root, rel))
    for n, line in enumerate(text.splitlines(), 1):
        where = f'{rel}:{n}'
        for p in outside:
            if p in line:
                hits.append(f'{where}: outside location "{p}": {line.strip()}')
        for m in absolute.finditer(line):
            hits.append(f'{where}: absolute path "{m.group(0)}": {line.strip()}')
        for m in updir.finditer(line):
            if not inside(os.path.join(here, m.group(1))):
                hits.append(f'{where}: path leaves the repository: {m.group(1)}')
        for m in docs_md.finditer(line):
            if not os.path.isfile(os.path.join(root, 'docs', m.group(1))):
                hits.append(f'{where}: no such page: docs/{m.group(1)}')
        if rel.endswith('.md'):
            for m in link.finditer(line):
                target = m.group(1)
                if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
                    continue  # a web address or an anchor on the same page
                path = os.path.join(here, target.split('#')[0])
                if not inside(path):
                    hits.append(f'{where}: link leaves the repository: {target}')
                elif not os.path.exists(path):
                    hits.append(f'{where}: link to a missing file: {target}')
            for m in quoted.finditer(line):
                path = m.group(1).rstrip('.,:;')
                # Repository paths only; placeholders (<name>, *, {a,b}, $VAR) name no file.
                if path.split('/')[0] in tops and '/' in path and \
                        not re.search(r'[<>*{}$\[\]]', path) and \
                        not os.path.exists(os.path.join(root, path)):
                    hits.append(f'{where}: no such file: {path}')

index = texts.get('docs/README.md', '')
for rel in files:
    if rel.startswith('docs/') and rel.endswith('.md') and rel != 'docs/README.md':
        name = rel[len('docs/'):]
        if f'`{name}`' not in index and f']({name})' not in index:
            hits.append(f'docs/README.md: does not index {name}')

for h in hits:
    print(h)
print(f'{len(texts)} text files checked, {len(hits)} problems')
sys.exit(1 if hits else 0)
PY
echo "1 passed, 0 failed"
