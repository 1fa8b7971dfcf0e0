#!/usr/bin/env python3
"""Time the PyTorch side of the engine benchmark and write the weights the Swift side runs.

Builds randomly initialised models from config objects (nothing is downloaded): a mid-sized Flux
transformer (diffusers `FluxTransformer2DModel`), the real-config Flux VAE (`AutoencoderKL`, only
its decoder is timed), the real-config CLIP-L text tower and a mid-sized T5 encoder. It times one
transformer step, one VAE decode and one text encoding in float32 with `torch.set_num_threads`
threads (warm-up, then the median of the timed runs), counts each stage's FLOPs with torch's
`FlopCounterMode`, and writes to the output folder:

- `transformer.safetensors` (BFL / ComfyUI names, F32) and `transformer-q8_0.gguf`,
- `vae.safetensors`, `clip.safetensors`, `t5.safetensors` (diffusers / transformers names, F32),
- `*-io.safetensors` with each stage's inputs and PyTorch's outputs,
- `torch.json` with the timings, FLOPs and sizes (also printed on stdout).
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from safetensors.torch import save_file
from torch.utils.flop_counter import FlopCounterMode

TEXT_TOKENS = 512
CONTEXT_FEATURES = 4096  # T5-XXL hidden size, the transformer's txt_in input
POOLED_FEATURES = 768  # CLIP-L pooled vector, the transformer's vector_in input
VAE_SCALE, VAE_SHIFT = 0.3611, 0.1159


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for weights, inputs, outputs and torch.json")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per stage after one warm-up (default 3)")
    parser.add_argument("--stages", default="transformer,vae,text", help="comma-separated subset of transformer,vae,text")
    parser.add_argument("--hidden", type=int, default=1536, help="transformer hidden size, a multiple of 128 (default 1536)")
    parser.add_argument("--double-blocks", type=int, default=2, help="double-stream blocks (default 2)")
    parser.add_argument("--single-blocks", type=int, default=4, help="single-stream blocks (default 4)")
    parser.add_argument("--latent", type=int, default=64, help="side of the square target and reference latents (default 64)")
    parser.add_argument("--vae-size", type=int, default=256, help="side of the decoded square image in pixels (default 256)")
    parser.add_argument("--t5-layers", type=int, default=6, help="T5 encoder layers at t5-v1_1-large width (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def randomise_norms(model, generator):
    """Give every norm weight and bias random values, so a dropped affine term changes the output."""
    for module in model.modules():
        if type(module).__name__ not in ("LayerNorm", "RMSNorm", "GroupNorm", "T5LayerNorm"):
            continue
        weight = getattr(module, "weight", None)
        if weight is not None:
            weight.data = torch.rand(weight.shape, generator=generator) + 0.5
        bias = getattr(module, "bias", None)
        if bias is not None:
            bias.data = torch.randn(bias.shape, generator=generator) * 0.1


def time_call(function, repeats):
    """Return (median seconds, all seconds, result, mean CPU seconds) over `repeats` runs after one
    warm-up run. CPU time is the process's user plus system time over all threads."""
    function()
    seconds = []
    result = None
    cpu_start = time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), seconds, result, (time.process_time() - cpu_start) / repeats


def count_flops(function):
    with FlopCounterMode(display=False) as counter:
        function()
    return int(counter.get_total_flops())


def contiguous(tensors):
    return {name: value.detach().float().contiguous() for name, value in tensors.items()}


def file_size(path):
    return path.stat().st_size


# ---------------------------------------------------------------------------------------------
# Transformer


def bfl_state_dict(model, double_blocks, single_blocks, meta=False):
    """Map a diffusers FluxTransformer2DModel state dict to BFL / ComfyUI names.

    This is the inverse of diffusers' `convert_flux_transformer_checkpoint_to_diffusers`: q, k and v
    are fused into `qkv`, the single-block `linear1` is q | k | v | proj_mlp, and `norm_out.linear`
    has its (scale, shift) halves swapped back to BFL's (shift, scale).
    """
    state = model.state_dict()
    used = set()
    out = {}

    def take(name):
        used.add(name)
        return state[name]

    def linear(bfl, diffusers):
        out[bfl + ".weight"] = take(diffusers + ".weight")
        out[bfl + ".bias"] = take(diffusers + ".bias")

    def fused(bfl, parts):
        out[bfl + ".weight"] = torch.cat([take(p + ".weight") for p in parts])
        out[bfl + ".bias"] = torch.cat([take(p + ".bias") for p in parts])

    for bfl, diffusers in (("time_in", "timestep_embedder"), ("vector_in", "text_embedder"), ("guidance_in", "guidance_embedder")):
        linear(f"{bfl}.in_layer", f"time_text_embed.{diffusers}.linear_1")
        linear(f"{bfl}.out_layer", f"time_text_embed.{diffusers}.linear_2")
    linear("txt_in", "context_embedder")
    linear("img_in", "x_embedder")
    for i in range(double_blocks):
        b, d = f"double_blocks.{i}", f"transformer_blocks.{i}"
        linear(f"{b}.img_mod.lin", f"{d}.norm1.linear")
        linear(f"{b}.txt_mod.lin", f"{d}.norm1_context.linear")
        fused(f"{b}.img_attn.qkv", [f"{d}.attn.to_q", f"{d}.attn.to_k", f"{d}.attn.to_v"])
        fused(f"{b}.txt_attn.qkv", [f"{d}.attn.add_q_proj", f"{d}.attn.add_k_proj", f"{d}.attn.add_v_proj"])
        out[f"{b}.img_attn.norm.query_norm.scale"] = take(f"{d}.attn.norm_q.weight")
        out[f"{b}.img_attn.norm.key_norm.scale"] = take(f"{d}.attn.norm_k.weight")
        out[f"{b}.txt_attn.norm.query_norm.scale"] = take(f"{d}.attn.norm_added_q.weight")
        out[f"{b}.txt_attn.norm.key_norm.scale"] = take(f"{d}.attn.norm_added_k.weight")
        linear(f"{b}.img_attn.proj", f"{d}.attn.to_out.0")
        linear(f"{b}.txt_attn.proj", f"{d}.attn.to_add_out")
        linear(f"{b}.img_mlp.0", f"{d}.ff.net.0.proj")
        linear(f"{b}.img_mlp.2", f"{d}.ff.net.2")
        linear(f"{b}.txt_mlp.0", f"{d}.ff_context.net.0.proj")
        linear(f"{b}.txt_mlp.2", f"{d}.ff_context.net.2")
    for i in range(single_blocks):
        b, d = f"single_blocks.{i}", f"single_transformer_blocks.{i}"
        linear(f"{b}.modulation.lin", f"{d}.norm.linear")
        fused(f"{b}.linear1", [f"{d}.attn.to_q", f"{d}.attn.to_k", f"{d}.attn.to_v", f"{d}.proj_mlp"])
        linear(f"{b}.linear2", f"{d}.proj_out")
        out[f"{b}.norm.query_norm.scale"] = take(f"{d}.attn.norm_q.weight")
        out[f"{b}.norm.key_norm.scale"] = take(f"{d}.attn.norm_k.weight")
    linear("final_layer.linear", "proj_out")
    for suffix in (".weight", ".bias"):
        scale, shift = take("norm_out.linear" + suffix).chunk(2, dim=0)
        out["final_layer.adaLN_modulation.1" + suffix] = torch.cat([shift, scale])
    unused = sorted(set(state) - used)
    if unused:
        raise SystemExit(f"the BFL name map misses diffusers tensors: {unused[:5]}")
    # Tensors on the meta device (shapes only, for real_flops.py) cannot be copied.
    return out if meta else contiguous(out)


def check_bfl_map(model, weights, hidden):
    """Convert `weights` back with diffusers' own BFL-to-diffusers converter and compare exactly.

    The converter hard-codes the real model's width (`inner_dim = 3072`), so it is recompiled here
    with the benchmark's width.
    """
    import inspect
    import diffusers.loaders.single_file_utils as single_file_utils

    source = inspect.getsource(single_file_utils.convert_flux_transformer_checkpoint_to_diffusers)
    if "inner_dim = 3072" not in source:
        raise SystemExit("diffusers' Flux converter changed; cannot check the BFL name map")
    namespace = dict(vars(single_file_utils))
    exec(source.replace("inner_dim = 3072", f"inner_dim = {hidden}"), namespace)
    converted = namespace["convert_flux_transformer_checkpoint_to_diffusers"](dict(weights))
    state = model.state_dict()
    if set(converted) != set(state):
        raise SystemExit(f"BFL map check: names differ: {sorted(set(converted) ^ set(state))[:5]}")
    for name, value in state.items():
        if not torch.equal(converted[name], value):
            raise SystemExit(f"BFL map check: '{name}' differs after the round trip")


def write_q8_0_gguf(tensors, path):
    """Write `tensors` as a Q8_0 GGUF with city96's recipe (ComfyUI-GGUF tools/convert.py).

    The input and output layers (`*_in.*`, `final_layer.*`) stay F16 and every 1-D tensor stays F32;
    the other matrices are Q8_0 (blocks of 32 int8 values with one F16 scale, 8.5 bits per weight).
    """
    import gguf

    writer = gguf.GGUFWriter(str(path), "flux")
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    for name, tensor in tensors.items():
        data = tensor.numpy()
        if data.ndim == 1:
            writer.add_tensor(name, data.astype(np.float32))
        elif name.startswith(("img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.")):
            writer.add_tensor(name, data.astype(np.float16))
        else:
            quantised = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(name, quantised, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def image_ids(side, first_axis):
    rows, columns = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    ids = torch.stack([torch.full_like(rows, first_axis), rows, columns], dim=-1)
    return ids.reshape(-1, 3).float()


def bench_transformer(args, generator):
    from diffusers import FluxTransformer2DModel

    heads = args.hidden // 128
    config = dict(
        patch_size=1, in_channels=64, num_layers=args.double_blocks, num_single_layers=args.single_blocks,
        attention_head_dim=128, num_attention_heads=heads, joint_attention_dim=CONTEXT_FEATURES,
        pooled_projection_dim=POOLED_FEATURES, guidance_embeds=True, axes_dims_rope=(16, 56, 56),
    )
    torch.manual_seed(args.seed)
    model = FluxTransformer2DModel(**config).eval()
    randomise_norms(model, generator)

    side = args.latent // 2  # packed tokens per side: 2x2 latent patches
    target = side * side
    image = torch.randn(2 * target, 64, generator=generator)
    ids = torch.cat([image_ids(side, 0), image_ids(side, 1)])
    text = torch.randn(TEXT_TOKENS, CONTEXT_FEATURES, generator=generator)
    pooled = torch.randn(POOLED_FEATURES, generator=generator)
    timestep, guidance = 0.75, 2.5

    def step():
        with torch.no_grad():
            output = model(
                hidden_states=image[None], encoder_hidden_states=text[None], pooled_projections=pooled[None],
                timestep=torch.tensor([timestep]), img_ids=ids, txt_ids=torch.zeros(TEXT_TOKENS, 3),
                guidance=torch.tensor([guidance]), return_dict=False,
            )[0]
        return output[0, :target]

    median, runs, output, cpu = time_call(step, args.repeats)
    flops = count_flops(step)

    weights = bfl_state_dict(model, args.double_blocks, args.single_blocks)
    check_bfl_map(model, weights, args.hidden)
    save_file(weights, args.out / "transformer.safetensors")
    save_file(
        contiguous({"image": image, "image_ids": ids, "text": text, "pooled": pooled, "output": output,
                    "timestep": torch.tensor([timestep]), "guidance": torch.tensor([guidance])}),
        args.out / "transformer-io.safetensors",
    )
    gguf_start = time.perf_counter()
    write_q8_0_gguf(weights, args.out / "transformer-q8_0.gguf")
    gguf_seconds = time.perf_counter() - gguf_start
    parameters = sum(p.numel() for p in model.parameters())
    return {
        "config": config, "tokens": {"text": TEXT_TOKENS, "target": target, "reference": target},
        "parameters": parameters, "seconds": median, "runs": runs, "cpu_seconds": cpu, "flops": flops,
        "fp32_bytes": file_size(args.out / "transformer.safetensors"),
        "q8_0_bytes": file_size(args.out / "transformer-q8_0.gguf"), "gguf_write_seconds": gguf_seconds,
    }


# ---------------------------------------------------------------------------------------------
# VAE


def bench_vae(args, generator):
    from diffusers import AutoencoderKL

    config = dict(
        in_channels=3, out_channels=3, latent_channels=16, layers_per_block=2, norm_num_groups=32,
        block_out_channels=(128, 256, 512, 512), use_quant_conv=False, use_post_quant_conv=False,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    )
    torch.manual_seed(args.seed + 1)
    model = AutoencoderKL(**config).eval()
    randomise_norms(model, generator)
    side = args.vae_size // 8
    latents = torch.randn(16, side, side, generator=generator)

    def decode():
        with torch.no_grad():
            return model.decode(latents[None] / VAE_SCALE + VAE_SHIFT, return_dict=False)[0][0]

    median, runs, output, cpu = time_call(decode, args.repeats)
    flops = count_flops(decode)
    save_file(contiguous(model.state_dict()), args.out / "vae.safetensors")
    save_file(contiguous({"latents": latents, "output": output}), args.out / "vae-io.safetensors")
    decoder_parameters = sum(p.numel() for p in model.decoder.parameters())
    return {"config": config, "image_size": args.vae_size, "decoder_parameters": decoder_parameters,
            "seconds": median, "runs": runs, "cpu_seconds": cpu, "flops": flops}


# ---------------------------------------------------------------------------------------------
# Text encoders


def clip_tokens(generator):
    """77 ids as the pipeline builds them: BOS, 20 random word pieces, EOS, EOS padding."""
    pieces = torch.randint(0, 49406, (20,), generator=generator)
    ids = torch.full((77,), 49407)
    ids[0] = 49406
    ids[1:21] = pieces
    return ids


def t5_tokens(generator):
    """512 ids: 40 random pieces, EOS (1), then pad (0); the encoder runs on all 512 without a mask."""
    ids = torch.zeros(TEXT_TOKENS, dtype=torch.long)
    ids[:40] = torch.randint(3, 32000, (40,), generator=generator)
    ids[40] = 1
    return ids


def bench_text(args, generator):
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    clip_config = CLIPTextConfig(
        vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, eos_token_id=2,
        bos_token_id=0, pad_token_id=1, projection_dim=768,
    )
    t5_config = T5Config(
        vocab_size=32128, d_model=1024, d_kv=64, d_ff=2816, num_layers=args.t5_layers, num_heads=16,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, feed_forward_proj="gated-gelu",
        dropout_rate=0.0, layer_norm_epsilon=1e-6, is_encoder_decoder=False, use_cache=False,
    )
    torch.manual_seed(args.seed + 2)
    clip = CLIPTextModel(clip_config).eval()
    t5 = T5EncoderModel(t5_config).eval()
    randomise_norms(clip, generator)
    randomise_norms(t5, generator)
    clip_ids, t5_ids = clip_tokens(generator), t5_tokens(generator)

    def run_clip():
        with torch.no_grad():
            return clip(input_ids=clip_ids[None]).pooler_output[0]

    def run_t5():
        with torch.no_grad():
            return t5(input_ids=t5_ids[None]).last_hidden_state[0]

    clip_median, clip_runs, pooled, clip_cpu = time_call(run_clip, args.repeats)
    t5_median, t5_runs, hidden, t5_cpu = time_call(run_t5, args.repeats)
    clip_flops, t5_flops = count_flops(run_clip), count_flops(run_t5)

    clip_weights = {k: v for k, v in clip.state_dict().items() if not k.endswith("position_ids")}
    save_file(contiguous(clip_weights), args.out / "clip.safetensors")
    t5_weights = {k: v for k, v in t5.state_dict().items() if k != "encoder.embed_tokens.weight"}
    save_file(contiguous(t5_weights), args.out / "t5.safetensors")
    save_file(
        contiguous({"clip_tokens": clip_ids.float(), "t5_tokens": t5_ids.float(), "clip_pooled": pooled,
                    "t5_output": hidden}),
        args.out / "text-io.safetensors",
    )
    return {
        "clip": {"config": {k: getattr(clip_config, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads")},
                 "parameters": sum(p.numel() for p in clip.parameters()), "seconds": clip_median, "runs": clip_runs, "cpu_seconds": clip_cpu, "flops": clip_flops},
        "t5": {"config": {k: getattr(t5_config, k) for k in ("d_model", "d_kv", "d_ff", "num_layers", "num_heads")},
               "parameters": sum(p.numel() for p in t5.parameters()), "seconds": t5_median, "runs": t5_runs, "cpu_seconds": t5_cpu, "flops": t5_flops},
    }


def main():
    args = parse_arguments()
    if args.hidden % 128:
        raise SystemExit(f"--hidden {args.hidden} is not a multiple of the 128-wide heads; use e.g. 1024 or 1536")
    if args.latent % 2 or args.vae_size % 8:
        raise SystemExit("--latent must be even and --vae-size a multiple of 8")
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": args.repeats}
    stages = {"transformer": bench_transformer, "vae": bench_vae, "text": bench_text}
    for name in args.stages.split(","):
        if name not in stages:
            raise SystemExit(f"unknown stage '{name}'; use transformer, vae or text")
        print(f"torch: {name} ...", file=sys.stderr, flush=True)
        results[name] = stages[name](args, generator)
    (args.out / "torch.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
