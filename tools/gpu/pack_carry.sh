#!/usr/bin/env bash
# Here, after tools/gpu/build_for_gpu.sh selfens: packs what the GPU machine
# needs into .carry/ (git-ignored; name it in the device call's `carry`):
# the binaries xz-compressed (30 MB -> 3 MB each: static OpenBLAS and ICU
# data compress well), MyriadLAMA and the lemma tables. With `--model-part 1|2` it also puts
# one part of the SmolLM2 GGUF in .carry/smollm2.part1 or .carry-part2/
# (the GGUF is 94 MiB, over the 64 MiB a call may carry with the working
# tree: two calls on the same warm machine carry one part each, first
# .carry-part2 alone, then .carry; unpack_carry.sh joins them). Part 2 is the
# larger (PART2_MIB, default 54) so that .carry, binaries and data included,
# stays under the limit too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p .carry/bin .carry/data
for f in build-gpu/bin/*; do xz -T2 -6 -c "$f" > ".carry/bin/$(basename "$f").xz"; done
# A baseline build for A/B runs (tools/gpu/run_speed_ab.sh), when there is one.
rm -rf .carry/bin-before
if [[ -f build-gpu/bin-before/selfens ]]; then
  mkdir -p .carry/bin-before && xz -T2 -6 -c build-gpu/bin-before/selfens > .carry/bin-before/selfens.xz
fi
for d in myriadlama webqa reference; do rm -rf ".carry/data/$d" && cp -r "${DATA:-../shared/data}/$d" .carry/data/; done
# spaCy's lemma tables (tools/lemma/fetch_lemma_resources.sh): `confidence` matches lemmas.
lemma=${SELFENS_LEMMA_DIR:-$HOME/.cache/selfens/lemma}
if [[ -d $lemma ]]; then rm -rf .carry/lemma && cp -r "$lemma" .carry/lemma; fi
if [[ "${1:-}" == --model-part ]]; then
  gguf=$HOME/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf
  half=$(( $(stat -c %s "$gguf") - ${PART2_MIB:-54} * 1048576 ))
  case "$2" in
    1) head -c "$half" "$gguf" > .carry/smollm2.part1 ;;
    2) mkdir -p .carry-part2 && tail -c +$((half + 1)) "$gguf" > .carry-part2/smollm2.part2 ;;
    *) echo "pack_carry: --model-part 1 or 2" >&2; exit 2 ;;
  esac
  sha256sum "$gguf" | cut -d' ' -f1 > .carry/smollm2.sha256
fi
du -sh .carry .carry-part2 2>/dev/null || true
