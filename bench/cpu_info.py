#!/usr/bin/env python3
"""The CPU a benchmark ran on, for its result lines: model name and the
instruction-set flags that decide the kernels (AVX2, AVX-512, VNNI, AMX,
F16C, FMA). Prints one JSON object.

  cpu_info.py              {"cpu": "...", "cpu_flags": [...], "amx_usable": bool}
  cpu_info.py --amx-usable exit 0 when the CPU has AMX and the kernel grants
                           this process the AMX tile state (arch_prctl
                           ARCH_REQ_XCOMP_PERM); llama.cpp's AMX kernels fault
                           where it does not (some sandboxes)."""
import ctypes
import json
import sys

KEEP = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
        "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")


def cpuinfo():
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def amx_usable(flags):
    if "amx_tile" not in flags:
        return False
    SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA = 158, 0x1023, 18
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0


def main():
    model, flags = cpuinfo()
    usable = amx_usable(flags)
    if "--amx-usable" in sys.argv[1:]:
        sys.exit(0 if usable else 1)
    print(json.dumps({"cpu": model, "cpu_flags": [f for f in KEEP if f in flags],
                      "amx_usable": usable}))


if __name__ == "__main__":
    main()
