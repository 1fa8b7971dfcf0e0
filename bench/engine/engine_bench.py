#!/usr/bin/env python3
"""Run the engine benchmark parts one after the other and collect their JSON in one file.

Parts: PyTorch (`torch_engine.py`, which also writes the weights), the OpenBLAS GEMM peak, and the
Swift engine's transformer step (F32 safetensors and Q8_0 GGUF), VAE decode and text encoders.
Each engine part runs in its own `kontextd-engine-bench` process, so its peak memory is its own. Every part is stopped
after ENGINE_BENCH_PART_LIMIT seconds and records the machine load while it ran.

Debian's OpenBLAS 0.3.21 picks its kernels by CPU model, and on a CPU model newer than the library
it falls back to the generic `Prescott` (SSE3) kernels, about 12 times slower than its AVX-512
ones on this machine. The script therefore times the GEMM peak, and one transformer step, with the
kernels OpenBLAS picks by itself (OPENBLAS_CORETYPE removed from their environment). The other
engine parts run with the caller's OPENBLAS_CORETYPE, or else with the kernel family that
`scripts/openblas-coretype` names for this CPU when OpenBLAS fell back to a generic one, the same
rule the kontextd executable applies to itself.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from machine import LoadMeter  # noqa: E402

OUT = Path(os.environ.get("ENGINE_BENCH_OUT", "/tmp/kontextd-enginebench"))
PART_LIMIT = int(os.environ.get("ENGINE_BENCH_PART_LIMIT", "300"))
# The whole run after the build stops within this many seconds; later parts are skipped.
TOTAL_LIMIT = int(os.environ.get("ENGINE_BENCH_TOTAL_LIMIT", "720"))
DEADLINE = time.monotonic() + TOTAL_LIMIT
REPEATS = os.environ.get("ENGINE_BENCH_REPEATS", "3")
THREADS = os.environ.get("ENGINE_BENCH_THREADS", "2")
SWIFT = ROOT / ".build" / "release" / "kontextd-engine-bench"
# Kernel families OpenBLAS falls back to on CPUs it does not know (as in OpenBLASCore.swift).
GENERIC_CORES = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine",
                 "northwood", "banias", "unknown"}
DEFAULT_CORE_STEP = os.environ.get("ENGINE_BENCH_DEFAULT_CORE_STEP", "1") == "1"


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def choose_core(default_core):
    """Return (OPENBLAS_CORETYPE for the engine parts or None, reason) given OpenBLAS's own choice."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"], "OPENBLAS_CORETYPE was set by the caller"
    if default_core.lower() not in GENERIC_CORES:
        return None, f"OpenBLAS picked {default_core}, which is not a generic kernel"
    preferred = subprocess.run([str(ROOT / "scripts" / "openblas-coretype")], capture_output=True,
                               text=True).stdout.strip()
    if not preferred:
        return None, f"OpenBLAS picked {default_core} and the CPU supports nothing faster"
    return preferred, f"OpenBLAS picked the generic {default_core}; scripts/openblas-coretype names {preferred}"


def run_part(name, command, environment=None):
    """Run one part, returning its parsed JSON (None when it failed) with the load it ran under."""
    limit = min(PART_LIMIT, int(DEADLINE - time.monotonic()))
    if limit < 10:
        print(f"engine bench: {name} skipped: ENGINE_BENCH_TOTAL_LIMIT ({TOTAL_LIMIT} s) reached", file=sys.stderr)
        return {"error": f"skipped after the total limit of {TOTAL_LIMIT} s"}
    print(f"engine bench: {name} ({uptime()})", file=sys.stderr, flush=True)
    meter = LoadMeter()
    start = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=limit, env=environment)
    except subprocess.TimeoutExpired:
        print(f"engine bench: {name} timed out after {limit} s; raise ENGINE_BENCH_PART_LIMIT or "
              "ENGINE_BENCH_TOTAL_LIMIT", file=sys.stderr)
        return {"error": f"timed out after {limit} s", "machine": meter.report()}
    machine = meter.report()
    machine["uptime_after"] = uptime()
    if completed.returncode != 0:
        print(f"engine bench: {name} failed with exit code {completed.returncode}:\n{completed.stderr}", file=sys.stderr)
        return {"error": completed.stderr.strip()[-2000:], "machine": machine}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"engine bench: {name} took {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return {"result": result, "machine": machine}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    swift = [str(SWIFT), None, "--dir", str(OUT), "--threads", THREADS, "--repeats", REPEATS]

    environment = dict(os.environ)
    own_choice = {name: value for name, value in os.environ.items() if name != "OPENBLAS_CORETYPE"}

    def engine(command, *extra, environment=environment):
        label = f"engine {command} {' '.join(extra)}".strip()
        return run_part(label, swift[:1] + [command] + swift[2:] + list(extra), environment)

    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "uptime_before": uptime()}
    if os.environ.get("ENGINE_BENCH_REUSE_TORCH") == "1" and (OUT / "torch.json").exists():
        # Re-times only the engine, against the weights and PyTorch figures of an earlier run.
        results["torch"] = {"result": json.loads((OUT / "torch.json").read_text()), "reused": True}
    else:
        results["torch"] = run_part("PyTorch", [sys.executable, str(HERE / "torch_engine.py"), "--out", str(OUT),
                                                "--threads", THREADS, "--repeats", REPEATS])
    results["gemm_peak_default_core"] = engine("gemm-peak", "--quick", "--repeats", "2", environment=own_choice)
    default_core = (results["gemm_peak_default_core"].get("result") or {}).get("openBLASCore", "unknown")
    core, reason = choose_core(default_core)
    results["openblas_core"] = {"default": default_core, "used": core or default_core, "reason": reason}
    print(f"engine bench: OpenBLAS kernels: {core or default_core} ({reason})", file=sys.stderr)
    if core:
        environment["OPENBLAS_CORETYPE"] = core
    results["gemm_peak"] = engine("gemm-peak", "--repeats", "2")
    results["transformer"] = engine("transformer")
    # One run from the Q8_0 file without a warm-up: its peak memory is the figure of interest.
    results["transformer_q8_0"] = engine("transformer", "--weights", str(OUT / "transformer-q8_0.gguf"),
                                         "--warmups", "0", "--repeats", "1")
    results["vae"] = engine("vae")
    results["text"] = engine("text")
    if core and core.lower() != default_core.lower() and DEFAULT_CORE_STEP:
        # The engine with the kernels OpenBLAS picks by itself: one step, no warm-up.
        results["transformer_default_core"] = engine("transformer", "--warmups", "0", "--repeats", "1",
                                                     environment=own_choice)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"engine bench: results in {OUT / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
