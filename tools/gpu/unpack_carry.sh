#!/usr/bin/env bash
# There (the GPU machine), from the repository root: unpacks what
# pack_carry.sh packed: the binaries into build-gpu/bin, and, once both
# halves have arrived, the SmolLM2 GGUF into ~/.cache/selfens/models
# (checked against the sha256 packed with it). Source it or run it.
set -uo pipefail
mkdir -p build-gpu/bin
for f in .carry/bin/*.xz; do
  [[ -e "$f" ]] || continue
  b=build-gpu/bin/$(basename "$f" .xz)
  python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' "$f" "$b"
  chmod +x "$b"
done
if [[ -f .carry/smollm2.part1 && -f .carry-part2/smollm2.part2 ]]; then
  d=$HOME/.cache/selfens/models; mkdir -p "$d"
  cat .carry/smollm2.part1 .carry-part2/smollm2.part2 > "$d/SmolLM2-135M-Instruct.Q4_1.gguf"
  if [[ "$(sha256sum "$d/SmolLM2-135M-Instruct.Q4_1.gguf" | cut -d' ' -f1)" == "$(cat .carry/smollm2.sha256)" ]]; then
    echo "unpack_carry: SmolLM2 GGUF joined and checked"
  else
    echo "unpack_carry: SmolLM2 GGUF halves do not match the sha256" >&2
    rm -f "$d/SmolLM2-135M-Instruct.Q4_1.gguf"
  fi
fi
ls -la build-gpu/bin
