#!/usr/bin/env python3
"""Count the FLOPs of the real FLUX.1 Kontext [dev] stages on torch's meta device (no weights, no
compute), with the same `FlopCounterMode` that `torch_engine.py` uses for the benchmark sizes.

`report.py` projects measured times to the real model by these counts. It projects memory by the
size of a Q8_0 GGUF of the real transformer, which this script also computes. Configurations: FLUX.1 [dev] transformer (hidden 3072, 24 heads, 19 double + 38 single
blocks), T5-XXL v1.1 encoder (d_model 4096, 64 heads, d_ff 10240, 24 layers), CLIP-L text tower,
and the 16-channel Flux VAE decoder.
"""
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from torch.utils.flop_counter import FlopCounterMode


def count(function):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        function()
    return int(counter.get_total_flops())


def transformer_step(side):
    """Count one Kontext step: 512 text tokens, a side x side target and a same-sized reference."""
    from diffusers import FluxTransformer2DModel

    with torch.device("meta"):
        model = FluxTransformer2DModel(guidance_embeds=True)
        tokens = 2 * (side // 16) ** 2
        return count(lambda: model(
            hidden_states=torch.empty(1, tokens, 64), encoder_hidden_states=torch.empty(1, 512, 4096),
            pooled_projections=torch.empty(1, 768), timestep=torch.empty(1), img_ids=torch.empty(tokens, 3),
            txt_ids=torch.empty(512, 3), guidance=torch.empty(1), return_dict=False))


def t5_xxl():
    from transformers import T5Config, T5EncoderModel

    config = T5Config(vocab_size=32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
                      feed_forward_proj="gated-gelu", is_encoder_decoder=False)
    with torch.device("meta"):
        model = T5EncoderModel(config)
        return count(lambda: model(input_ids=torch.zeros(1, 512, dtype=torch.long)))


def clip_l():
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                            max_position_embeddings=77, hidden_act="quick_gelu", eos_token_id=2)
    with torch.device("meta"):
        model = CLIPTextModel(config)
        return count(lambda: model(input_ids=torch.zeros(1, 77, dtype=torch.long)))


def q8_0_bytes():
    """Return the bytes of the real transformer's tensors in a Q8_0 GGUF written as torch_engine.py
    writes one: 34 bytes per 32 values for matrices, F16 for the input and final layers, F32 for 1-D
    tensors."""
    import sys
    from pathlib import Path

    from diffusers import FluxTransformer2DModel

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from torch_engine import bfl_state_dict

    with torch.device("meta"):
        model = FluxTransformer2DModel(guidance_embeds=True)
    total = 0
    for name, tensor in bfl_state_dict(model, 19, 38, meta=True).items():
        if tensor.dim() == 1:
            total += 4 * tensor.numel()
        elif name.startswith(("img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.")):
            total += 2 * tensor.numel()
        else:
            total += tensor.numel() // 32 * 34
    return total


def vae_decode(side):
    from diffusers import AutoencoderKL

    with torch.device("meta"):
        model = AutoencoderKL(latent_channels=16, layers_per_block=2, block_out_channels=(128, 256, 512, 512),
                              down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                              use_quant_conv=False, use_post_quant_conv=False)
        return count(lambda: model.decode(torch.empty(1, 16, side // 8, side // 8)))


if __name__ == "__main__":
    print(json.dumps({
        "step_512": transformer_step(512), "step_1024": transformer_step(1024), "t5_xxl": t5_xxl(),
        "clip_l": clip_l(), "decode_512": vae_decode(512), "decode_1024": vae_decode(1024),
        "transformer_q8_0_bytes": q8_0_bytes(),
    }, indent=1))
