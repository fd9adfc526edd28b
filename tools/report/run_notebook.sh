#!/usr/bin/env bash
# Executes notebooks/analysis.ipynb headless (nbclient) against a directory of
# result files and saves the executed copy.
#
# usage: tools/report/run_notebook.sh RESULTS_ROOT DATASET MODEL [OUT.ipynb] [N]
#   RESULTS_ROOT  the --output_dir of `selfens generate` (holds DATASET/MODEL/)
#   OUT.ipynb     executed notebook (default: RESULTS_ROOT/analysis.executed.ipynb)
#   N             number of paraphrases (default 0: the largest found)
# Env: SELFENS_NB_SUMMARY=FILE makes the summary cell write its numbers as JSON.
# Needs: pip install nbclient nbformat ipykernel matplotlib pandas pyarrow
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")/../.." && pwd)"
root="$1"; dataset="$2"; model="$3"
out="${4:-$root/analysis.executed.ipynb}"
n="${5:-0}"
python3 -c "import nbclient, nbformat, ipykernel, matplotlib" 2>/dev/null || {
  echo "run_notebook.sh: missing Python packages; pip install nbclient nbformat ipykernel matplotlib" >&2
  exit 2
}
export SELFENS_NB_DIR="$root" SELFENS_NB_DATASET="$dataset" SELFENS_NB_MODEL="$model" SELFENS_NB_N="$n"
export MPLBACKEND="${MPLBACKEND:-module://matplotlib_inline.backend_inline}"
python3 - "$here/notebooks/analysis.ipynb" "$out" <<'PY'
import sys
import nbformat
from nbclient import NotebookClient

src, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3").execute()
nbformat.write(nb, out)
print("executed notebook:", out)
PY
