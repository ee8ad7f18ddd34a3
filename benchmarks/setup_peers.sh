#!/usr/bin/env bash
# Create the peer-benchmark virtualenv: qulacs, PennyLane + lightning, Qiskit + Aer, and qdl.
#
#     bash benchmarks/setup_peers.sh [VENV_DIR]        # default /work/bench-venv
#     VENV_DIR/bin/python benchmarks/peers.py --quick
#
# The peers live in this separate environment only: they are never qdl
# dependencies (pyproject.toml does not mention them).  qdl is installed
# editable from this checkout, so the benchmark always times the working tree.
# PYTHON picks the interpreter (default: python3).
set -euo pipefail

venv_dir="${1:-/work/bench-venv}"
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"

if [ ! -x "$venv_dir/bin/python" ]; then
    "$python" -m venv "$venv_dir"
fi
"$venv_dir/bin/python" -m pip install --quiet --upgrade pip
"$venv_dir/bin/python" -m pip install --quiet \
    pennylane pennylane-lightning qulacs qiskit qiskit-aer numpy scipy
"$venv_dir/bin/python" -m pip install --quiet -e "$repo_dir"

"$venv_dir/bin/python" - <<'EOF'
from importlib.metadata import version
for name in ("qdl", "pennylane", "pennylane-lightning", "qulacs", "qiskit", "qiskit-aer", "numpy", "scipy"):
    print(f"{name:20} {version(name)}")
EOF
echo "peer benchmark environment ready: $venv_dir"
