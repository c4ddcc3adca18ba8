#!/usr/bin/env python3
"""export_torch_fixtures.py: export real torch modules as committed ONNX fixtures.

Usage (needs torch + onnx; not run in CI):
  /tmp/torchenv/bin/python export_torch_fixtures.py OUTDIR [--demo PATH]

Exports nn.TransformerEncoderLayer (plain, src_key_padding_mask, causal),
nn.TransformerDecoderLayer, nn.MultiheadAttention and a tiny GPT-2-style LM
with the TorchScript exporter (`dynamo=False`) at opsets 13, 14 and 17, with
dynamic batch/sequence axes, into OUTDIR (test/fixtures/torch/) plus
OUTDIR/manifest.json in the gen_fixtures.py format (with `input_gen` hints
that gen_fixtures.py uses to make inputs). --demo also writes the opset-17
LM as the bundled demo model (models/tiny-gpt2.onnx). An export the exporter
refuses is reported and left out.
"""

import argparse
import json
import math
import os
import sys
import warnings

import onnx
import torch
from torch import nn

OPSETS = (13, 14, 17)
B = 2


def causal_mask(n, legacy):
    """Float causal mask [n, n]: torch's generate_square_subsequent_mask
    (triu, exportable from opset 14), or for legacy (opset 13) exports the HF
    _make_causal_mask form: full(finfo.min) then masked_fill_ with
    arange < (arange + 1).view(n, 1)."""
    if not legacy:
        return nn.Transformer.generate_square_subsequent_mask(n)
    mask = torch.full((n, n), torch.finfo(torch.float32).min)
    cond = torch.arange(mask.size(-1))
    mask.masked_fill_(cond < (cond + 1).view(mask.size(-1), 1), 0)
    return mask


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer, batch_first; mask mode plain/padding/causal."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        self.legacy = False
        self.layer = nn.TransformerEncoderLayer(48, 4, 96, dropout=0.0,
                                                batch_first=True)

    def forward(self, src, src_key_padding_mask=None):
        if self.mode == "padding":
            return self.layer(src, src_key_padding_mask=src_key_padding_mask)
        if self.mode == "causal":
            mask = causal_mask(src.size(1), self.legacy)
            return self.layer(src, src_mask=mask, is_causal=True)
        return self.layer(src)


class DecoderLayer(nn.Module):
    """nn.TransformerDecoderLayer: causal self-attention + cross-attention."""

    def __init__(self):
        super().__init__()
        self.legacy = False
        self.layer = nn.TransformerDecoderLayer(48, 4, 96, dropout=0.0,
                                                batch_first=True)

    def forward(self, tgt, memory):
        mask = causal_mask(tgt.size(1), self.legacy)
        return self.layer(tgt, memory, tgt_mask=mask, tgt_is_causal=True)


class CrossMHA(nn.Module):
    """nn.MultiheadAttention cross-attention with a key padding mask; the
    need_weights=True path (3-D [B*H, S, D] bmm/baddbmm), weights dropped."""

    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(40, 4, batch_first=True)

    def forward(self, query, key_value, key_padding_mask):
        out, _ = self.mha(query, key_value, key_value,
                          key_padding_mask=key_padding_mask, need_weights=True)
        return out


class GPT2Block(nn.Module):
    """nanoGPT/GPT-2 block: pre-LN, fused c_attn, causal bias buffer +
    masked_fill(-inf), tanh-GELU MLP."""

    def __init__(self, e, h, ff, lmax):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(e)
        self.c_attn = nn.Linear(e, 3 * e)
        self.c_proj = nn.Linear(e, e)
        self.ln_2 = nn.LayerNorm(e)
        self.c_fc = nn.Linear(e, ff)
        self.mlp_proj = nn.Linear(ff, e)
        self.act = nn.GELU(approximate="tanh")
        self.register_buffer("bias", torch.tril(torch.ones(
            lmax, lmax, dtype=torch.bool)).view(1, 1, lmax, lmax),
            persistent=False)

    def forward(self, x):
        b, t, c = x.size()
        d = c // self.h
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q = q.view(b, t, self.h, d).transpose(1, 2)
        k = k.view(b, t, self.h, d).transpose(1, 2)
        v = v.view(b, t, self.h, d).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        att = att.masked_fill(~self.bias[:, :, :t, :t], float("-inf"))
        y = torch.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(self.act(self.c_fc(self.ln_2(x))))


class TinyGPT2(nn.Module):
    """2-layer GPT-2-style LM: vocab 97, hidden 64, 4 heads, MLP 64 (1x, so
    the file stays under 300 KB: the exporter stores the tied head weight a
    second time, transposed), 32 positions, tied lm head."""

    def __init__(self, vocab=97, e=64, h=4, layers=2, ff=64, lmax=32):
        super().__init__()
        self.wte = nn.Embedding(vocab, e)
        self.wpe = nn.Embedding(lmax, e)
        self.h = nn.ModuleList(GPT2Block(e, h, ff, lmax)
                               for _ in range(layers))
        self.ln_f = nn.LayerNorm(e)
        self.lm_head = nn.Linear(e, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, input_ids):
        t = input_ids.size(1)
        pos = torch.arange(0, t, dtype=torch.long, device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(pos)
        for blk in self.h:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


def _f(*shape):
    return torch.randn(*shape)


def _pad(b, n):
    m = torch.zeros(b, n, dtype=torch.bool)
    m[-1, n - 2:] = True
    return m


def cases():
    """(name stem, module factory, example args, input names, output names,
    dynamic axes, manifest fields)."""
    bs = {0: "batch", 1: "sequence"}
    site = lambda m, n=4, k=4: {"mask": m, "heads": [n, k]}  # noqa: E731
    return [
        ("torch_encoder_layer", lambda: EncoderLayer("plain"),
         (_f(B, 11, 48),), ["src"], ["output"],
         {"src": bs, "output": bs},
         {"sites": [site("none")], "input_shapes": {"src": [B, 11, 48]},
          "notes": "nn.TransformerEncoderLayer(48, 4, 96, batch_first)"}),
        ("torch_encoder_layer_padding", lambda: EncoderLayer("padding"),
         (_f(B, 11, 48), _pad(B, 11)), ["src", "src_key_padding_mask"],
         ["output"], {"src": bs, "src_key_padding_mask": bs, "output": bs},
         {"sites": [site("additive")],
          "input_shapes": {"src": [B, 11, 48],
                           "src_key_padding_mask": [B, 11]},
          "input_gen": {"src_key_padding_mask": {
              "kind": "key_padding", "pad": 3, "pad_value": True}},
          "notes": "TransformerEncoderLayer + bool src_key_padding_mask "
                   "(True = pad), made additive -inf by torch"}),
        ("torch_encoder_layer_causal", lambda: EncoderLayer("causal"),
         (_f(B, 11, 48),), ["src"], ["output"], {"src": bs, "output": bs},
         {"sites": [site("causal")], "input_shapes": {"src": [B, 11, 48]},
          "notes": "TransformerEncoderLayer, generate_square_subsequent_mask"
                   " (triu of -inf) as src_mask, is_causal=True"}),
        ("torch_decoder_layer", DecoderLayer,
         (_f(B, 7, 48), _f(B, 11, 48)), ["tgt", "memory"], ["output"],
         {"tgt": bs, "memory": {0: "batch", 1: "memory_sequence"},
          "output": bs},
         {"sites": [site("causal"), site("none")],
          "input_shapes": {"tgt": [B, 7, 48], "memory": [B, 11, 48]},
          "notes": "nn.TransformerDecoderLayer: causal self-attn + cross"}),
        ("torch_mha", CrossMHA,
         (_f(B, 7, 40), _f(B, 9, 40), _pad(B, 9)),
         ["query", "key_value", "key_padding_mask"], ["output"],
         {"query": bs, "key_value": {0: "batch", 1: "kv_sequence"},
          "key_padding_mask": {0: "batch", 1: "kv_sequence"}, "output": bs},
         {"sites": [site("additive")],
          "input_shapes": {"query": [B, 7, 40], "key_value": [B, 9, 40],
                           "key_padding_mask": [B, 9]},
          "input_gen": {"key_padding_mask": {
              "kind": "key_padding", "pad": 2, "pad_value": True}},
          "notes": "nn.MultiheadAttention(40, 4) cross-attention, "
                   "need_weights=True path (3-D bmm), key padding mask"}),
        ("torch_tiny_gpt2", TinyGPT2,
         (torch.randint(0, 97, (B, 12)),), ["input_ids"], ["logits"],
         {"input_ids": bs, "logits": bs},
         {"sites": [site("causal"), site("causal")],
          "input_shapes": {"input_ids": [B, 12]},
          "input_gen": {"input_ids": {"kind": "ids", "high": 97}},
          "notes": "2-layer GPT-2-style LM (vocab 97, E=64, H=4), causal "
                   "bias buffer + masked_fill(-inf), tanh GELU, tied head"}),
    ]


def force_need_weights(module):
    """torch only exports scaled_dot_product_attention from opset 14; at
    opset 13 route the layers' MultiheadAttention through the explicit
    need_weights=True path (bmm/baddbmm, what torch < 2.0 exported; the
    averaged weights are unused and dropped by the exporter)."""
    for sub in module.modules():
        if isinstance(sub, nn.MultiheadAttention):
            fwd = sub.forward

            def patched(*a, _fwd=fwd, **kw):
                kw["need_weights"] = True
                return _fwd(*a, **kw)

            sub.forward = patched


def export(module, args, path, opset, in_names, out_names, axes):
    module.eval()
    if opset < 14:
        force_need_weights(module)
        module.legacy = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, dynamo=False,
                          opset_version=opset, input_names=in_names,
                          output_names=out_names, dynamic_axes=axes,
                          do_constant_folding=True)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--demo", help="also write the opset-17 LM here")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    manifest, failed = [], []
    for stem, make, ex, ins, outs, axes, fields in cases():
        for opset in OPSETS:
            name = f"{stem}_op{opset}"
            torch.manual_seed(1234)
            module = make()
            path = os.path.join(args.outdir, name + ".onnx")
            try:
                export(module, ex, path, opset, ins, outs, axes)
            except Exception as e:  # noqa: BLE001
                msg = str(e).strip().splitlines()
                failed.append((name, msg[0] if msg else type(e).__name__))
                if os.path.exists(path):
                    os.remove(path)
                continue
            entry = {"name": name, "model": name + ".onnx",
                     "expected_sites": len(fields["sites"])}
            entry.update(fields)
            entry["notes"] = f"{fields['notes']}; TorchScript export, " \
                             f"opset {opset}, torch {torch.__version__}"
            if opset < 14 and stem != "torch_tiny_gpt2":
                entry["notes"] += (
                    " (MHA forced to need_weights=True: torch has no SDPA "
                    "export before opset 14; causal masks in the HF "
                    "_make_causal_mask form: no triu before 14)")
            manifest.append(entry)
            if stem == "torch_tiny_gpt2" and opset == 17 and args.demo:
                export(module, ex, args.demo, opset, ins, outs, axes)
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for name, err in failed:
        print(f"export failed: {name}: {err}", file=sys.stderr)
    print(f"exported {len(manifest)} models to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
