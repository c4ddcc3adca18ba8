#!/usr/bin/env python3
"""gen_fixtures.py: write the attention test fixtures with onnxruntime references.

Usage: gen_fixtures.py OUTDIR [--only SUBSTRING] [--torch-dir DIR]

For every fixture (fixtures_decomposed / fixtures_blocks / fixtures_fused,
plus the committed torch exports in test/fixtures/torch/) it writes
  OUTDIR/<name>/model.onnx
  OUTDIR/<name>/inputs/<sanitized input>.npy     (seeded from the name)
  OUTDIR/<name>/expected/<sanitized output>.npy  (onnxruntime, CPU)
and OUTDIR/manifest.json, a list of {name, model, expected_sites, sites:
[{mask, heads: [Hq, Hkv]}], input_shapes, opset, source, notes}.
Only numpy, onnx and onnxruntime are needed (no torch). Deterministic: a
fixture's seed is crc32 of its name and onnxruntime runs single-threaded.
A fixture onnxruntime cannot run (or onnx.checker rejects) is reported and
left out (exit code 1).
"""

import argparse
import json
import os
import shutil
import sys
import time
import zlib

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fixtures_blocks  # noqa: E402
import fixtures_decomposed  # noqa: E402
import fixtures_fused  # noqa: E402
from fixture_builder import check  # noqa: E402
from ort_run import make_session, sanitize  # noqa: E402

DEFAULT_TORCH_DIR = os.path.join(HERE, "..", "fixtures", "torch")

_NP = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64,
       onnx.TensorProto.INT32: np.int32, onnx.TensorProto.BOOL: np.bool_,
       onnx.TensorProto.FLOAT16: np.float16,
       onnx.TensorProto.DOUBLE: np.float64}


def run_ort(model_path, feeds):
    """onnxruntime outputs; ORT_ENABLE_ALL first, ORT_DISABLE_ALL fallback
    (the same policy as ort_run.py)."""
    import onnxruntime as ort

    errors = []
    for level in (ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                  ort.GraphOptimizationLevel.ORT_DISABLE_ALL):
        try:
            sess = make_session(model_path, level, threads=1)
            names = [o.name for o in sess.get_outputs()]
            return dict(zip(names, sess.run(names, feeds))), None
        except Exception as e:  # noqa: BLE001
            msg = str(e).strip().splitlines()
            errors.append(msg[0][:400] if msg else type(e).__name__)
    return None, "; ".join(errors)


def write_fixture(outdir, name, model_path, feeds, entry):
    fdir = os.path.join(outdir, name)
    outputs, err = run_ort(model_path, feeds)
    if outputs is None:
        return err
    for sub, tensors in (("inputs", feeds), ("expected", outputs)):
        os.makedirs(os.path.join(fdir, sub), exist_ok=True)
        for n, a in tensors.items():
            np.save(os.path.join(fdir, sub, sanitize(n) + ".npy"),
                    np.asarray(a))
    entry["input_shapes"] = {n: list(np.shape(a)) for n, a in feeds.items()}
    entry["output_names"] = list(outputs)
    return None


def site_list(sites):
    return [{"mask": m, "heads": [hq, hkv]} for m, hq, hkv in sites]


def fill_output_shapes(model, outputs):
    """Graph outputs onnx shape inference left without a shape get the rank
    onnxruntime produced, with symbolic dims named as torch names them."""
    for out in model.graph.output:
        tt = out.type.tensor_type
        if tt.HasField("shape"):
            continue
        rank = np.ndim(outputs[out.name])
        tt.shape.SetInParent()
        for i in range(rank):
            tt.shape.dim.add().dim_param = f"{out.name}_dim_{i}"


def generated(outdir, only):
    entries, failed = [], []
    for name, fn in (fixtures_decomposed.FIXTURES + fixtures_blocks.FIXTURES
                     + fixtures_fused.FIXTURES):
        if only and only not in name:
            continue
        model, feeds, sites, notes = fn(zlib.crc32(name.encode()))
        outputs, err = run_ort(model.SerializeToString(), feeds)
        if outputs is None:
            failed.append((name, err))
            continue
        fill_output_shapes(model, outputs)
        try:
            checked = check(model)
        except onnx.checker.ValidationError as e:
            failed.append((name, f"onnx.checker: {e}"))
            continue
        os.makedirs(os.path.join(outdir, name), exist_ok=True)
        rel = f"{name}/model.onnx"
        onnx.save(model, os.path.join(outdir, rel))
        entry = {"name": name, "model": rel, "expected_sites": len(sites),
                 "sites": site_list(sites), "input_shapes": {},
                 "opset": {o.domain or "ai.onnx": o.version
                           for o in model.opset_import},
                 "source": "gen_fixtures", "checker": checked,
                 "notes": notes}
        err = write_fixture(outdir, name, os.path.join(outdir, rel), feeds,
                            entry)
        if err:
            failed.append((name, err))
            shutil.rmtree(os.path.join(outdir, name), ignore_errors=True)
        else:
            entries.append(entry)
    return entries, failed


def torch_inputs(model, entry, rng):
    """Seeded inputs for a committed torch export from its manifest entry:
    input_shapes, and input_gen hints ({kind: ids|key_padding|normal})."""
    feeds = {}
    gen = entry.get("input_gen", {})
    for inp in model.graph.input:
        shape = entry["input_shapes"][inp.name]
        dtype = _NP[inp.type.tensor_type.elem_type]
        hint = gen.get(inp.name, {"kind": "normal"})
        kind = hint["kind"]
        if kind == "ids":
            a = rng.integers(0, hint["high"], size=shape).astype(dtype)
        elif kind == "key_padding":
            # [B, L]; the last `pad` keys of the last batch row are padding.
            # `pad_value` is what marks padding (torch: True; HF: 0).
            keep = np.ones(shape, bool)
            keep[-1, shape[-1] - hint.get("pad", 2):] = False
            pv = hint.get("pad_value", True)
            a = np.where(keep, not pv, pv).astype(dtype)
        elif kind == "normal":
            a = rng.standard_normal(shape).astype(dtype)
        else:
            raise ValueError(f"{entry['name']}: unknown input_gen {hint}")
        feeds[inp.name] = a
    return feeds


def torch_fixtures(outdir, torch_dir, only):
    entries, failed = [], []
    man = os.path.join(torch_dir, "manifest.json")
    if not os.path.isfile(man):
        print(f"note: no torch fixtures ({man} missing)", file=sys.stderr)
        return entries, failed
    with open(man) as f:
        for src in json.load(f):
            name = src["name"]
            if only and only not in name:
                continue
            os.makedirs(os.path.join(outdir, name), exist_ok=True)
            rel = f"{name}/model.onnx"
            shutil.copyfile(os.path.join(torch_dir, src["model"]),
                            os.path.join(outdir, rel))
            model = onnx.load(os.path.join(outdir, rel))
            feeds = torch_inputs(model, src,
                                 np.random.default_rng(zlib.crc32(
                                     name.encode())))
            entry = dict(src, model=rel, source="torch")
            entry.pop("input_gen", None)
            try:
                entry["checker"] = check(model)
            except onnx.checker.ValidationError as e:
                failed.append((name, f"onnx.checker: {e}"))
                continue
            entry["opset"] = {o.domain or "ai.onnx": o.version
                              for o in model.opset_import}
            err = write_fixture(outdir, name, os.path.join(outdir, rel),
                                feeds, entry)
            if err:
                failed.append((name, err))
            else:
                entries.append(entry)
    return entries, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", help="only fixtures whose name contains this")
    ap.add_argument("--torch-dir", default=DEFAULT_TORCH_DIR)
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.outdir, exist_ok=True)
    entries, failed = generated(args.outdir, args.only)
    te, tf = torch_fixtures(args.outdir, args.torch_dir, args.only)
    entries += te
    failed += tf
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=1)
    for name, err in failed:
        print(f"error: onnxruntime cannot run fixture '{name}': {err}",
              file=sys.stderr)
    print(f"gen_fixtures: {len(entries)} fixtures in {args.outdir} "
          f"({time.time() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
