#!/usr/bin/env python3
"""The CPU a benchmark ran on, for its result lines: model name and the
instruction-set flags that decide the kernels (AVX2, AVX-512, VNNI, AMX,
F16C, FMA). Prints one JSON object.

  cpu_info.py              {"cpu": "...", "cpu_flags": [...], "amx_usable": bool}
  cpu_info.py --amx-usable exit 0 when the CPU has AMX and the kernel grants
                           this process the AMX tile state (arch_prctl
                           ARCH_REQ_XCOMP_PERM); llama.cpp's AMX kernels fault
                           where it does not (some sandboxes).
  cpu_info.py --llama-cmake-args [--amx]
                           CMAKE_ARGS that build llama.cpp for this CPU's
                           instruction sets, one GGML_* switch per feature,
                           AMX only with --amx. Not GGML_NATIVE: with it,
                           -march=native compiles the AMX kernels in on any
                           AMX CPU whatever GGML_AMX_* say, and on an Intel
                           Xeon that grants AMX they crashed at the first
                           llama_decode (llama-cpp-python 0.3.36, 2026-12-07)."""
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


# /proc/cpuinfo flag -> llama.cpp's CMake switch for it.
GGML_SWITCHES = (("sse4_2", "SSE42"), ("f16c", "F16C"), ("fma", "FMA"), ("bmi2", "BMI2"),
                 ("avx", "AVX"), ("avx2", "AVX2"), ("avx_vnni", "AVX_VNNI"),
                 ("avx512f avx512cd avx512vl avx512dq avx512bw", "AVX512"),
                 ("avx512vbmi", "AVX512_VBMI"), ("avx512_vnni", "AVX512_VNNI"),
                 ("avx512_bf16", "AVX512_BF16"), ("amx_tile", "AMX_TILE"),
                 ("amx_int8", "AMX_INT8"), ("amx_bf16", "AMX_BF16"))


def llama_cmake_args(flags, amx):
    args = ["-DGGML_NATIVE=OFF"]
    for need, switch in GGML_SWITCHES:
        on = all(f in flags for f in need.split()) and (amx or not switch.startswith("AMX"))
        args.append(f"-DGGML_{switch}={'ON' if on else 'OFF'}")
    return " ".join(args)


def main():
    model, flags = cpuinfo()
    usable = amx_usable(flags)
    if "--amx-usable" in sys.argv[1:]:
        sys.exit(0 if usable else 1)
    if "--llama-cmake-args" in sys.argv[1:]:
        print(llama_cmake_args(flags, "--amx" in sys.argv[1:]))
        return
    print(json.dumps({"cpu": model, "cpu_flags": [f for f in KEEP if f in flags],
                      "amx_usable": usable}))


if __name__ == "__main__":
    main()
