#!/usr/bin/env python3
"""Print the engine benchmark tables from results.json and write them to tables.md beside it.

Ratios divide the engine's time by PyTorch's, so a ratio under 1 means the engine is faster.
Projections to the real model multiply a measured time by the ratio of the real model's FLOPs to
the benchmark's, both counted with torch's `FlopCounterMode`. They assume the same FLOP rate at the
real size, so they are estimates, not measurements.
"""
import json
import os
import sys
from pathlib import Path

OUT = Path(os.environ.get("ENGINE_BENCH_OUT", "/tmp/kontextd-enginebench"))
MIB = 1024 * 1024

# FLOPs of the real FLUX.1 Kontext [dev] stages, as `real_flops.py` counts them with torch's
# FlopCounterMode on the meta device (torch 2.15.0, diffusers 0.42.1, transformers 5.25.0).
REAL_FLOPS = {
    "step_1024": 165_458_361_188_352,  # 512 text + 4096 target + 4096 reference tokens
    "step_512": 37_661_072_424_960,  # 512 text + 1024 target + 1024 reference tokens
    "t5_xxl": 4_844_723_109_888,  # 512 tokens
    "clip_l": 13_298_503_680,  # 77 tokens
    "decode_1024": 10_472_204_009_472,
    "decode_512": 2_514_971_787_264,
}
# Tensor bytes of a Q8_0 GGUF of the real 11.9 B transformer (city96's recipe), from real_flops.py.
REAL_Q8_0_BYTES = 12_714_397_952
REAL_HIDDEN, REAL_TOKENS_1024 = 3072, 512 + 4096 + 4096


def part(results, name):
    entry = results.get(name) or {}
    return entry.get("result")


def seconds_cell(value):
    return f"{value:.2f}" if value is not None else "failed"


def ratio_cell(engine, torch):
    return f"{engine / torch:.2f}" if engine is not None and torch else ""


def comparison_table(results):
    torch = part(results, "torch") or {}
    transformer, q8 = part(results, "transformer"), part(results, "transformer_q8_0")
    vae, text = part(results, "vae"), part(results, "text") or [None, None]
    clip, t5 = (text + [None, None])[:2]
    config = torch.get("transformer", {}).get("config", {})
    tokens = torch.get("transformer", {}).get("tokens", {})
    rows = [
        "| stage | size | PyTorch s | engine s | engine / PyTorch | PyTorch CPU-s | engine CPU-s | "
        "engine / PyTorch, CPU time | max abs. difference (max abs. PyTorch value) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(label, size, torch_stage, stage):
        torch_seconds, torch_cpu = torch_stage.get("seconds"), torch_stage.get("cpu_seconds")
        engine_seconds = stage["timing"]["seconds"] if stage else None
        engine_cpu = stage["timing"].get("cpuSeconds") if stage else None
        difference = (f"{stage['maxAbsoluteDifference']:.2e} ({stage['referenceMagnitude']:.3g})" if stage else "")
        torch_cell = f"{torch_seconds:.2f}" if torch_seconds else ""
        torch_cpu_cell = f"{torch_cpu:.2f}" if torch_cpu else ""
        engine_cpu_cell = f"{engine_cpu:.2f}" if engine_cpu else ""
        rows.append(f"| {label} | {size} | {torch_cell} | {seconds_cell(engine_seconds)} | "
                    f"{ratio_cell(engine_seconds, torch_seconds)} | {torch_cpu_cell} | {engine_cpu_cell} | "
                    f"{ratio_cell(engine_cpu, torch_cpu)} | {difference} |")

    step_size = (f"hidden {config.get('num_attention_heads', 0) * 128}, {config.get('num_layers')} double + "
                 f"{config.get('num_single_layers')} single blocks, {tokens.get('text')} text + "
                 f"{tokens.get('target')} target + {tokens.get('reference')} reference tokens")
    torch_step = torch.get("transformer", {})
    row("transformer step, F32", step_size, torch_step, transformer)
    row("transformer step, Q8_0 GGUF", "the same weights quantised; PyTorch runs F32", torch_step, q8)
    default = part(results, "transformer_default_core")
    if default:
        core = (results.get("openblas_core") or {}).get("default", "default")
        row(f"transformer step, F32, OpenBLAS's own kernel choice ({core})", "one run, no warm-up", torch_step, default)
    image = torch.get("vae", {}).get("image_size", 0)
    row("VAE decode", f"real config, {image // 8}x{image // 8} latents to {image}x{image}",
        torch.get("vae", {}), vae)
    text_torch = torch.get("text", {})
    row("CLIP-L", "real config, 77 tokens", text_torch.get("clip", {}), clip)
    t5_config = text_torch.get("t5", {}).get("config", {})
    row("T5 encoder", f"d_model {t5_config.get('d_model')}, d_ff {t5_config.get('d_ff')}, "
        f"{t5_config.get('num_layers')} layers, 512 tokens", text_torch.get("t5", {}), t5)
    return rows


def gemm_table(results):
    peak = (part(results, "gemm_peak") or {}).get("peakGigaflopsPerSecond")
    torch = part(results, "torch") or {}
    text = part(results, "text") or []
    stages = [("transformer step, F32", part(results, "transformer"), torch.get("transformer", {}).get("flops")),
              ("transformer step, Q8_0", part(results, "transformer_q8_0"), torch.get("transformer", {}).get("flops")),
              ("transformer step, F32, default kernels", part(results, "transformer_default_core"),
               torch.get("transformer", {}).get("flops")),
              ("VAE decode", part(results, "vae"), torch.get("vae", {}).get("flops"))]
    if len(text) == 2:
        stages += [("CLIP-L", text[0], torch.get("text", {}).get("clip", {}).get("flops")),
                   ("T5 encoder", text[1], torch.get("text", {}).get("t5", {}).get("flops"))]
    rows = ["| stage | FLOP (torch count) | engine GEMM GFLOP | GEMM calls | GEMM s | GEMM part of stage time | "
            "engine GEMM GFLOP/s | GEMM share of OpenBLAS peak | engine GFLOP/s overall | PyTorch GFLOP/s overall |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    torch_seconds = {"transformer step, F32": torch.get("transformer", {}).get("seconds"),
                     "transformer step, Q8_0": torch.get("transformer", {}).get("seconds"),
                     "transformer step, F32, default kernels": torch.get("transformer", {}).get("seconds"),
                     "VAE decode": torch.get("vae", {}).get("seconds"),
                     "CLIP-L": torch.get("text", {}).get("clip", {}).get("seconds"),
                     "T5 encoder": torch.get("text", {}).get("t5", {}).get("seconds")}
    for label, stage, flops in stages:
        if not stage or not flops:
            continue
        timing = stage["timing"]
        rate = timing["gemmFlops"] / timing["gemmSeconds"] / 1e9 if timing["gemmSeconds"] else 0
        share = f"{rate / peak:.0%}" if peak else ""
        torch_rate = flops / torch_seconds[label] / 1e9 if torch_seconds[label] else 0
        rows.append(f"| {label} | {flops / 1e9:.1f} G | {timing['gemmFlops'] / 1e9:.1f} | {timing['gemmCalls']} | "
                    f"{timing['gemmSeconds']:.2f} | {timing['gemmSeconds'] / timing['seconds']:.0%} | {rate:.1f} | "
                    f"{share} | {flops / timing['seconds'] / 1e9:.1f} | {torch_rate:.1f} |")
    return rows


def peak_table(results):
    core = results.get("openblas_core") or {}
    rows = [f"OpenBLAS kernels used: {core.get('used')} ({core.get('reason')}).", "",
            "| kernels | threads | M | N | K | GFLOP/s (median) |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name in ("gemm_peak_default_core", "gemm_peak"):
        peak = part(results, name)
        if not peak:
            rows.append(f"| {name}: failed | | | | | |")
            continue
        for shape in peak["shapes"]:
            rows.append(f"| {peak['openBLASCore']} | {peak['threads']} | {shape['m']} | {shape['n']} | {shape['k']} | "
                        f"{shape['gigaflopsPerSecond']:.1f} |")
    peak = part(results, "gemm_peak")
    if peak:
        rows.append(f"| **peak** ({peak['openBLASCore']}) | | | | | **{peak['peakGigaflopsPerSecond']:.1f}** |")
    return rows


def memory_rows(results):
    torch = part(results, "torch") or {}
    fp32_bytes = torch.get("transformer", {}).get("fp32_bytes", 0)
    rows = ["| transformer weights | file MiB | peak RSS (VmHWM) MiB | peak RssAnon MiB | peak RssFile MiB | "
            "RssAnon at start MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, name in (("F32 safetensors", "transformer"), ("Q8_0 GGUF", "transformer_q8_0")):
        stage = part(results, name)
        if not stage:
            continue
        memory = stage["memory"]
        rows.append(f"| {label} | {stage['weightsBytes'] / MIB:.0f} | {memory['peakResidentBytes'] / MIB:.0f} | "
                    f"{memory['peakAnonymousBytes'] / MIB:.0f} | {memory['peakFileBytes'] / MIB:.0f} | "
                    f"{memory['startAnonymousBytes'] / MIB:.0f} |")
    q8 = part(results, "transformer_q8_0")
    if q8 and fp32_bytes:
        peak = q8["memory"]["peakResidentBytes"]
        rows += ["", f"Q8_0 peak RSS = {peak / q8['weightsBytes']:.2f} × the Q8_0 file and "
                     f"{peak / fp32_bytes:.2f} × the F32 weights ({fp32_bytes / MIB:.0f} MiB)."]
        rows += memory_projection(torch.get("transformer", {}), q8["memory"], q8["weightsBytes"])
    return rows


def memory_projection(transformer, memory, file_bytes):
    """Project the Q8_0 run's peak memory to the real 11.9 B model at 1024x1024 plus a reference.

    Method (an estimate): the anonymous memory the step added (peak RssAnon minus RssAnon at start)
    is scaled by the ratio of L·D (tokens × hidden size), because the activations that dominate it
    are L×D to L×7D matrices. When the weights file is resident in the process (a memory map, so
    peak RssFile is at least half the file), the real file is added at its full size.
    """
    # NOTE: dequantised F32 weights in flight grow with D² rather than L·D; at these sizes the
    # L·D factor (6.8) exceeds the D² factor (4), so the estimate over-counts rather than under-counts them.
    hidden = transformer.get("config", {}).get("num_attention_heads", 0) * 128
    tokens = sum(transformer.get("tokens", {}).values())
    if not hidden or not tokens:
        return []
    growth = memory["peakAnonymousBytes"] - memory["startAnonymousBytes"]
    scale = REAL_TOKENS_1024 * REAL_HIDDEN / (tokens * hidden)
    anonymous = memory["startAnonymousBytes"] + growth * scale
    mapped = memory["peakFileBytes"] >= file_bytes / 2
    total = anonymous + (REAL_Q8_0_BYTES if mapped else 0)
    file_text = ("plus the mapped file" if mapped else
                 "with the weights read into buffers rather than mapped, so the file stays in the page cache "
                 "outside the process's memory")
    return ["", f"Projection (estimate) for the real model from Q8_0 ({REAL_Q8_0_BYTES / 1e9:.1f} GB file) at "
                f"1024x1024 with a 1024x1024 reference: the step's anonymous growth of {growth / MIB:.0f} MiB "
                f"× {scale:.1f} (L·D ratio, {REAL_TOKENS_1024}·{REAL_HIDDEN} / {tokens}·{hidden}) = "
                f"{growth * scale / 1e9:.1f} GB, {file_text}: about {total / 1e9:.1f} GB "
                f"({total / 2**30:.1f} GiB)."]


def projection_table(results):
    torch = part(results, "torch") or {}
    transformer, vae, text = part(results, "transformer"), part(results, "vae"), part(results, "text") or []
    rows = ["| stage (real model) | real FLOP | FLOP measured here | × | engine s here | engine s projected | "
            "PyTorch s projected |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def row(label, real, measured, engine_stage, torch_seconds):
        if not measured or not engine_stage:
            rows.append(f"| {label} | {real / 1e12:.2f} T | | | | failed | |")
            return None
        factor = real / measured
        engine_seconds = engine_stage["timing"]["seconds"]
        torch_cell = f"{torch_seconds * factor:.1f}" if torch_seconds else ""
        rows.append(f"| {label} | {real / 1e12:.3f} T | {measured / 1e12:.3f} T | {factor:.1f} | {engine_seconds:.2f} | "
                    f"{engine_seconds * factor:.1f} | {torch_cell} |")
        return engine_seconds * factor

    t = torch.get("transformer", {})
    text_torch = torch.get("text", {})
    clip, t5 = (text + [None, None])[:2]
    clip_seconds = row("text: CLIP-L, 77 tokens", REAL_FLOPS["clip_l"], text_torch.get("clip", {}).get("flops"), clip,
                       text_torch.get("clip", {}).get("seconds"))
    t5_seconds = row("text: T5-XXL, 512 tokens", REAL_FLOPS["t5_xxl"], text_torch.get("t5", {}).get("flops"), t5,
                     text_torch.get("t5", {}).get("seconds"))
    row("each step, 512x512 + 512x512 reference", REAL_FLOPS["step_512"], t.get("flops"), transformer, t.get("seconds"))
    step_seconds = row("each step, 1024x1024 + 1024x1024 reference", REAL_FLOPS["step_1024"], t.get("flops"),
                       transformer, t.get("seconds"))
    v = torch.get("vae", {})
    row("VAE decode, 512x512", REAL_FLOPS["decode_512"], v.get("flops"), vae, v.get("seconds"))
    decode_seconds = row("VAE decode, 1024x1024", REAL_FLOPS["decode_1024"], v.get("flops"), vae, v.get("seconds"))
    parts = (clip_seconds, t5_seconds, step_seconds, decode_seconds)
    if all(value is not None for value in parts):
        total = clip_seconds + t5_seconds + 28 * step_seconds + decode_seconds
        rows += ["", f"A whole 1024x1024 edit with 28 steps, projected the same way: text encoding, 28 steps and "
                     f"the decode take {total / 3600:.1f} h in the engine (the VAE encode of the reference is "
                     f"not measured here and not included)."]
    return rows


def load_rows(results):
    rows = [f"Run started {results.get('started')}, finished {results.get('finished')}.",
            f"Load before: `{results.get('uptime_before')}`", "",
            "| part | wall s | CPU-s available | used by the part | used by other processes | uptime after |",
            "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name in ("torch", "gemm_peak_default_core", "gemm_peak", "transformer", "transformer_q8_0", "vae", "text",
                 "transformer_default_core"):
        machine = (results.get(name) or {}).get("machine")
        if machine:
            rows.append(f"| {name} | {machine['wall_seconds']} | {machine['cpu_seconds_available']} | "
                        f"{machine['cpu_seconds_benchmark']} | {machine['cpu_seconds_other_processes']} | "
                        f"`{machine.get('uptime_after', '')}` |")
    return rows


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "results.json"
    results = json.loads(path.read_text())
    sections = [("Engine against PyTorch (float32)", comparison_table(results)),
                ("GEMM use", gemm_table(results)), ("OpenBLAS peak on Flux shapes", peak_table(results)),
                ("Memory", memory_rows(results)), ("Per-stage projection to the real model", projection_table(results)),
                ("Machine load", load_rows(results))]
    text = "\n\n".join(f"#### {title}\n\n" + "\n".join(rows) for title, rows in sections) + "\n"
    (path.parent / "tables.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
