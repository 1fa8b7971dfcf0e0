#!/usr/bin/env python3
"""Run the engine benchmark parts one after the other and collect their JSON in one file.

Parts: PyTorch (`torch_engine.py`, which also writes the weights), the OpenBLAS GEMM peak, and the
Swift engine's transformer step (F32 safetensors and Q8_0 GGUF), VAE decode and text encoders, each
in its own `kontextd-engine-bench` process so that its peak memory is its own. Every part is stopped
after ENGINE_BENCH_PART_LIMIT seconds and records the machine load while it ran.
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
REPEATS = os.environ.get("ENGINE_BENCH_REPEATS", "3")
THREADS = os.environ.get("ENGINE_BENCH_THREADS", "2")
SWIFT = ROOT / ".build" / "release" / "kontextd-engine-bench"


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_part(name, command):
    """Run one part, returning its parsed JSON (None when it failed) with the load it ran under."""
    print(f"engine bench: {name} ({uptime()})", file=sys.stderr, flush=True)
    meter = LoadMeter()
    start = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=PART_LIMIT)
    except subprocess.TimeoutExpired:
        print(f"engine bench: {name} timed out after {PART_LIMIT} s; raise ENGINE_BENCH_PART_LIMIT", file=sys.stderr)
        return {"error": f"timed out after {PART_LIMIT} s", "machine": meter.report()}
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

    def engine(command, *extra):
        return run_part(f"engine {command} {' '.join(extra)}".strip(), swift[:1] + [command] + swift[2:] + list(extra))

    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "uptime_before": uptime()}
    results["torch"] = run_part("PyTorch", [sys.executable, str(HERE / "torch_engine.py"), "--out", str(OUT),
                                            "--threads", THREADS, "--repeats", REPEATS])
    results["gemm_peak"] = engine("gemm-peak", "--repeats", "2")
    results["transformer"] = engine("transformer")
    # One run from the Q8_0 file without a warm-up: its peak memory is the figure of interest.
    results["transformer_q8_0"] = engine("transformer", "--weights", str(OUT / "transformer-q8_0.gguf"),
                                         "--warmups", "0", "--repeats", "1")
    results["vae"] = engine("vae")
    results["text"] = engine("text")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"engine bench: results in {OUT / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
