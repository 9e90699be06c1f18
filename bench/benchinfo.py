"""What run_all.sh's reports say about the machine and the build (shared by its sections)."""
import json
import os
import re
import subprocess


def cpu_model():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        field = lambda k: (re.search(rf'^{k}:\s*(.+)$', out, re.M) or [None, '?'])[1].strip()
        return f"{field('Model name')} (family {field('CPU family')}, model {field('Model')})"
    except OSError:
        return 'unknown'


def compile_flags(build, source_suffix):
    """The compiler and optimisation flags of `source_suffix` in BUILD/compile_commands.json."""
    try:
        with open(os.path.join(build, 'compile_commands.json')) as f:
            for e in json.load(f):
                if e['file'].endswith(source_suffix):
                    cmd = e.get('command') or ' '.join(e.get('arguments', []))
                    flags = [t for t in cmd.split()
                             if t.startswith(('-O', '-m', '-f', '-std', '-g', '-DNDEBUG'))]
                    return cmd.split()[0] + ' ' + ' '.join(flags)
    except (OSError, ValueError, KeyError):
        pass
    return 'unknown (no compile_commands.json in the build directory)'


def write_report(path, doc, keeper):
    """Writes doc to path, keeping whatever stands below the notes marker of an existing
    file (hand-written notes survive regeneration). `keeper` names the script in the marker."""
    marker = f'<!-- notes: kept by {keeper} -->'
    notes = ''
    if os.path.exists(path):
        old = open(path).read()
        if marker in old:
            notes = old[old.index(marker):]
    with open(path, 'w') as f:
        f.write(doc + ('\n' + notes if notes else '\n' + marker + '\n'))
