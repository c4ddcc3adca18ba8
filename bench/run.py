#!/usr/bin/env python3
"""run.py: attune against onnxruntime on the same machine, in the same run.

Sections (select with --only, comma separated; --quick runs a small subset
of each that finishes in under a minute):
  dense    fused attention: MHA [1,12,L,64] and GQA (16 query / 4 key-value
           heads, D=64), causal and not, L = 512..8192; attune on the
           decomposed subgraph vs onnxruntime's fused contrib op, ONNX
           Attention-23 and the decomposed subgraph
  sparse   the sparse rewrites (window, headwise, block-static, dynamic
           MoBA/SLA/SALE) on causal MHA at L = 4096, 8192: density, achieved
           and ideal speedup over attune dense
  calibrated  ZeroTuning and ACT on causal MHA at L = 4096, 8192: overhead
           over attune dense
  linear   linear attention (elu+1 non-causal and causal, Lightning) vs
           attune dense at L = 2048..16384
  decode   one decode step against a 4K/16K/32K KV cache (bandwidth), and a
           recycled (attn-recycle) partial step
  models   whole models end to end (tiny GPT-2, torch encoder/decoder
           layers, a 4-layer GPT-2-style LM at 2048 tokens)

attune is timed by `attune bench` (its JSON: median over --runs after
--warmup, kernel time per family); onnxruntime in this process with
time.perf_counter around sess.run, inputs prepared once, after warmup. The
sides of one comparison (attune and onnxruntime, or a rewritten form and
attune dense) are timed in turn over --rounds rounds (default 3) of
runs/rounds runs each, and each side's runs pooled, so that the machine's
slow spells fall on both sides of a ratio. Both
use --threads threads (onnxruntime: intra-op T, inter-op 1, sequential
execution, all graph optimizations). Prints one Markdown table per section
and writes every row, with the configuration, to bench/results/<time>.json.
A row whose attune or onnxruntime side fails shows the error and the run
goes on (--strict: exit 1 at the end if any row failed).
"""

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import density  # noqa: E402
import models as M  # noqa: E402

# Machine limits from ../shared/TOOLCHAIN.md (2 cores, AVX-512): fp32 FMA
# peak of both cores, and streaming read bandwidth of both cores.
PEAK_GFLOPS = 233.0
PEAK_GBS = 34.0

SECTIONS = ["dense", "sparse", "calibrated", "linear", "decode", "models"]


class BenchError(Exception):
    pass


# -- the two runners ---------------------------------------------------------

class Runner:
    def __init__(self, args):
        self.args = args
        self.attune = args.attune
        opt = os.path.join(os.path.dirname(os.path.abspath(self.attune)),
                           "attune-opt")
        self.attune_opt = opt if os.path.exists(opt) else shutil.which(
            "attune-opt")
        self.work = tempfile.mkdtemp(prefix="attune-bench-")
        self.failures = 0
        self._raise_cache = {}

    def attune_bench(self, model, inputs_dir=None, rewrite=None, dims=None,
                     runs=None, evict_mib=0):
        """Runs `attune bench` and returns its JSON (a dict). evict_mib: MiB
        read before every run (`--evict-mib`), so that inputs come from
        memory."""
        out = os.path.join(self.work, "attune.json")
        if os.path.exists(out):
            os.remove(out)
        cmd = [self.attune, "bench", model, "--warmup",
               str(self.args.warmup), "--runs", str(runs or self.args.runs),
               "--threads", str(self.args.threads), "--json", out,
               "--seed", str(self.args.seed)]
        for name, value in (dims or {}).items():
            cmd += ["--dim", f"{name}={value}"]
        if rewrite:
            cmd += ["--rewrite", rewrite]
        if evict_mib:
            cmd += ["--evict-mib", str(evict_mib)]
        if inputs_dir:
            cmd += ["--inputs", inputs_dir]
        if self.args.reference:
            cmd.append("--reference")
        env = dict(os.environ, ATTUNE_NUM_THREADS=str(self.args.threads))
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                               timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"attune bench timed out after "
                             f"{self.args.timeout} s")
        except OSError as e:
            raise BenchError(f"cannot run {self.attune}: {e.strerror}")
        if p.returncode != 0 or not os.path.exists(out):
            raise BenchError(failure_message(p))
        with open(out) as f:
            return json.load(f)

    def ort(self, model, feeds, runs=None, evict_mib=0):
        """Median/min of onnxruntime sess.run over --runs after --warmup;
        evict_mib: MiB read before every run, as `attune bench
        --evict-mib` does."""
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.args.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        try:
            t0 = time.perf_counter()
            sess = ort.InferenceSession(model, so,
                                        providers=["CPUExecutionProvider"])
            create_ms = (time.perf_counter() - t0) * 1e3
            evict = (np.ones(evict_mib << 18, np.float32) if evict_mib
                     else None)
            for _ in range(self.args.warmup):
                if evict is not None:
                    evict.sum()
                sess.run(None, feeds)
            times = []
            for _ in range(runs or self.args.runs):
                if evict is not None:
                    evict.sum()
                t0 = time.perf_counter()
                sess.run(None, feeds)
                times.append((time.perf_counter() - t0) * 1e3)
        except Exception as e:  # onnxruntime raises its own exception types
            msg = str(e).strip().splitlines()
            raise BenchError(msg[-1] if msg else type(e).__name__)
        finally:
            sess = None
            gc.collect()
        return {"median_ms": statistics.median(times), "min_ms": min(times),
                "runs_ms": times, "create_ms": create_ms}

    def raised(self, model):
        """(Hq, Hkv, mask) of the first site attn-raise finds, from
        attune-opt's report; None when attune-opt is not available."""
        if model in self._raise_cache:
            return self._raise_cache[model]
        res = None
        if self.attune_opt:
            p = subprocess.run([self.attune_opt, model,
                                "--attn-raise=report=true", "-o",
                                os.devnull], capture_output=True, text=True)
            m = re.search(r"heads=(\d+)/(\d+) .* mask=(\S+)", p.stderr)
            if m:
                res = (int(m.group(1)), int(m.group(2)), m.group(3))
        self._raise_cache[model] = res
        return res


def failure_message(p):
    """One line saying why an attune process failed: its first diagnostic
    ("error: ...", an assertion, "LLVM ERROR"), never a stack frame; a
    crash says so with its signal."""
    lines = [ln.strip() for ln in (p.stderr + "\n" + p.stdout).splitlines()
             if ln.strip()]
    noise = re.compile(r"^(#\d+ |Stack dump|PLEASE submit|[0-9]+\.\s|"
                       r"Program arguments)")
    lines = [ln for ln in lines if not noise.match(ln)]
    diag = next((ln for ln in lines if re.search(
        r"error:|Assertion|LLVM ERROR|terminate called", ln)), None)
    msg = diag or (lines[-1] if lines else "")
    # "attune: error: X" / "attune bench: error: X" -> "X"
    msg = re.sub(r"^(attune[^:]*: )?error: ", "", msg)
    if p.returncode < 0:
        return f"crashed (signal {-p.returncode})" + (f": {msg}" if msg
                                                      else "")
    return msg or f"exit status {p.returncode}"


# -- helpers -----------------------------------------------------------------

def attempt(row, key, fn, *a, **kw):
    """Calls fn; on failure stores the message in row[key + '_error']."""
    try:
        return fn(*a, **kw)
    except BenchError as e:
        row[key + "_error"] = str(e)
        return None


def median_of(values):
    return statistics.median(values) if values else None


class Rounds:
    """Times the sides of one comparison in turn, --rounds times over: each
    round runs every side for ceil(runs / rounds) runs, so that a slow
    spell of the shared machine falls on all sides alike instead of on
    whichever was being timed. A side's result pools its runs (median,
    min and mean over all of them; per-kernel times: the median of the
    rounds' medians) and keeps each round's median in `round_ms`. A side
    that fails stops its rounds; its row gets the error."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.sides = []

    def add(self, row, key, fn, *a, runs=None, **kw):
        """Adds a side; returns its index into run()'s list."""
        self.sides.append((row, key, fn, a, kw, runs or self.ctx.args.runs))
        return len(self.sides) - 1

    def run(self):
        rounds = max(1, min(self.ctx.args.rounds, self.ctx.args.runs))
        got = [[] for _ in self.sides]
        failed = [False] * len(self.sides)
        for _ in range(rounds):
            for i, (row, key, fn, a, kw, runs) in enumerate(self.sides):
                if failed[i]:
                    continue
                res = attempt(row, key, fn, *a,
                              runs=max(1, -(-runs // rounds)), **kw)
                if res is None:
                    failed[i] = True
                else:
                    got[i].append(res)
        return [None if failed[i] or not g else self.merge(g)
                for i, g in enumerate(got)]

    @staticmethod
    def merge(results):
        out = dict(results[0])
        times = [t for r in results for t in r["runs_ms"]]
        out["runs_ms"] = times
        out["median_ms"] = statistics.median(times)
        out["min_ms"] = min(times)
        out["mean_ms"] = sum(times) / len(times)
        out["round_ms"] = [r["median_ms"] for r in results]
        kern = [r.get("kernel_ms") for r in results if r.get("kernel_ms")]
        if kern:
            out["kernel_ms"] = {k: statistics.median(x.get(k, 0) for x in kern)
                                for k in kern[0]}
        return out


def ms(x):
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:.0f}"


def num(x, fmt="{:.2f}"):
    return "-" if x is None else fmt.format(x)


def cell(row, key, fmt=ms):
    """The value of `key` in row, or its error, or its note."""
    if row.get(key + "_error"):
        msg = row[key + "_error"].replace("|", "/")
        return "error: " + (msg[:90] + "..." if len(msg) > 90 else msg)
    if row.get(key + "_note"):
        return row[key + "_note"]
    return fmt(row.get(key))


def table(title, columns, rows, notes=()):
    """Prints a Markdown table: columns are (header, fn(row) -> str)."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(h for h, _ in columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for r in rows:
        print("| " + " | ".join(fn(r) for _, fn in columns) + " |")
    for n in notes:
        print(f"\n{n}")
    sys.stdout.flush()


A23_NOTE = ("(A23): attune ran the ONNX Attention-23 form of the same "
            "attention, because raising the decomposed graph did not give "
            "the fused form (")


def form_cell(row):
    return row["form"] + (" (A23)" if row.get("attune_model") ==
                          "attention23" else "")


def visible_pairs(lq, lk, causal):
    """Query/key pairs a top-left causal (or full) mask leaves visible."""
    if not causal:
        return lq * lk
    return sum(min(i + 1, lk) for i in range(lq))


def inputs_dir(ctx, key, feeds):
    """A cached directory of NAME.npy files for `feeds` (written once)."""
    d = os.path.join(ctx.cache, "inputs", key)
    stamp = os.path.join(d, ".complete")
    if not os.path.exists(stamp):
        M.write_inputs(feeds, d)
        open(stamp, "w").close()
    return d


def mem_ok(nbytes, ctx):
    """Whether a run that needs about nbytes fits the memory budget."""
    return nbytes <= ctx.args.mem_gb * 2**30


class Ctx:
    def __init__(self, args, runner):
        self.args = args
        self.run = runner
        self.cache = args.cache
        self.rows = {}


def attune_attention_model(ctx, b, hq, hkv, l, causal):
    """The model attune runs for a dense site: the decomposed subgraph when
    attn-raise turns it into the expected fused form (GQA heads, causal
    attribute), else the ONNX Attention-23 form (with the reason)."""
    dec = M.get("decomposed", b=b, hq=hq, hkv=hkv, lq=l, lk=l, d=64,
                causal=causal)
    want = (hq, hkv, "causal(top_left)" if causal else "none")
    got = ctx.run.raised(dec)
    if got is None or got == want:
        return dec, None
    a23 = M.get("attention23", b=b, hq=hq, hkv=hkv, l=l, d=64, causal=causal)
    return a23, (f"decomposed raises to heads={got[0]}/{got[1]} "
                 f"mask={got[2]}")


# -- machine probes (bench/kernels) ------------------------------------------

# kind: (tool, extra arguments, unit printed, the quantity as a time: ms per
# 1 GB read (stream) or per 1 TFLOP (peak), so that the median of a side's
# rounds gives the median figure back)
PROBES = {
    "stream": ("attune-stream-bench", [], "GB/s", 1e3),
    "peak": ("attune-peak-bench", ["--ms", "100", "--reps", "3"], "GFLOP/s",
             1e6),
    "gather": ("attune-gather-bench", [], "GB/s", 1e3),
}


def probe_path(ctx, name):
    """A machine probe built next to the attune binary (found on PATH when
    --attune is a bare name)."""
    attune = ctx.args.attune
    if os.sep not in attune:
        attune = shutil.which(attune) or attune
    return os.path.join(os.path.dirname(os.path.abspath(attune)), name)


def probe(ctx, kind):
    """This machine now, with --threads threads, as the PROBES tool of
    `kind` prints it (GB/s or GFLOP/s); None without the tool."""
    name, extra, unit, _ = PROBES[kind]
    tool = probe_path(ctx, name)
    if not os.path.exists(tool):
        return None
    p = subprocess.run([tool, "--threads", str(ctx.args.threads)] + extra,
                       capture_output=True, text=True)
    m = re.search(r"([0-9.]+) " + re.escape(unit), p.stdout)
    return float(m.group(1)) if p.returncode == 0 and m else None


def probe_side(ctx, kind, runs=None):
    """A probe as a side of Rounds, its figure given as a time (PROBES)."""
    x = probe(ctx, kind)
    if not x:
        raise BenchError(f"{PROBES[kind][0]} not found or failed")
    t = PROBES[kind][3] / x
    return {"median_ms": t, "min_ms": t, "runs_ms": [t]}


def probe_figure(kind, res):
    """The figure back from a probe side's Rounds result (None if it
    failed): the median over the rounds."""
    return res and PROBES[kind][3] / res["median_ms"]


# -- 1. dense ----------------------------------------------------------------

def dense(ctx):
    quick = ctx.args.quick
    shapes = [("MHA", 12, 12), ("GQA", 16, 4)]
    lengths = [512] if quick else [512, 1024, 2048, 4096, 8192]
    rows, fallbacks, peaks = [], set(), []
    for name, hq, hkv in shapes:
        for l in lengths:
            for causal in (False, True):
                if quick and name == "GQA" and not causal:
                    continue
                row = {"shape": f"{name} 1x{hq}x{l}x64" +
                       (f" (kv {hkv})" if hkv != hq else ""),
                       "hq": hq, "hkv": hkv, "L": l, "causal": causal}
                q, k, v = M.qkv(1, hq, hkv, l, l, 64, ctx.args.seed)
                flops = 4.0 * hq * visible_pairs(l, l, causal) * 64
                row["gflop"] = flops / 1e9
                model, why = attune_attention_model(ctx, 1, hq, hkv, l, causal)
                if why:
                    row["attune_model"] = "attention23"
                    row["attune_form_note"] = why
                    fallbacks.add(why)
                d = inputs_dir(ctx, f"qkv_{hq}_{hkv}_{l}_{ctx.args.seed}",
                               {"q": q, "k": k, "v": v})
                # attune and onnxruntime's fused contrib op, Attention-23
                # and decomposed graph, timed in turn
                rnd = Rounds(ctx)
                rnd.add(row, "attune", ctx.run.attune_bench, model, d)
                bsh = {"query": M.to_bsh(q), "key": M.to_bsh(k),
                       "value": M.to_bsh(v)}
                ort_keys = []
                if hq == hkv:
                    fused = M.get("mha", b=1, h=hq, l=l, d=64, causal=causal)
                    rnd.add(row, "ort_fused", ctx.run.ort, fused, bsh)
                    ort_keys.append("ort_fused")
                elif causal:
                    fused = M.get("gqa", b=1, hq=hq, hkv=hkv, l=l, d=64)
                    feeds = dict(bsh, seqlens_k=np.array([l - 1], np.int32),
                                 total_sequence_length=np.array(l, np.int32))
                    rnd.add(row, "ort_fused", ctx.run.ort, fused, feeds)
                    ort_keys.append("ort_fused")
                else:
                    row["ort_fused_note"] = "n/a (GQA op is causal only)"
                a23 = M.get("attention23", b=1, hq=hq, hkv=hkv, l=l, d=64,
                            causal=causal)
                rnd.add(row, "ort_a23", ctx.run.ort, a23,
                        {"q": q, "k": k, "v": v})
                ort_keys.append("ort_a23")
                # the decomposed graph materializes the [Hq, L, L] scores a
                # few times (product, scaled, masked, probabilities)
                need = 3 * hq * l * l * 4
                if mem_ok(need, ctx):
                    dec = M.get("decomposed", b=1, hq=hq, hkv=hkv, lq=l,
                                lk=l, d=64, causal=causal)
                    rnd.add(row, "ort_dec", ctx.run.ort, dec,
                            {"q": q, "k": k, "v": v})
                    ort_keys.append("ort_dec")
                else:
                    row["ort_dec_note"] = (f"skipped (~{need / 2**30:.0f} GB "
                                           f"> --mem-gb)")
                # the machine's FMA peak, measured in turn with the rest
                pk = {}
                i_peak = rnd.add(pk, "peak", probe_side, ctx, "peak")
                res, *ort_res = rnd.run()
                measured = probe_figure("peak", ort_res.pop(i_peak - 1))
                if measured:
                    row["peak_measured"] = measured
                    peaks.append(measured)
                if res:
                    row["attune"] = res["median_ms"]
                    row["attune_json"] = res
                    row["gflops"] = flops / (res["median_ms"] * 1e6)
                    row["peak_pct"] = 100 * row["gflops"] / PEAK_GFLOPS
                    if row.get("peak_measured"):
                        row["peak_measured_pct"] = (100 * row["gflops"] /
                                                    row["peak_measured"])
                for key, r in zip(ort_keys, ort_res):
                    row[key] = r and r["median_ms"]
                best = [row[c] for c in ("ort_fused", "ort_a23", "ort_dec")
                        if row.get(c)]
                if best:
                    row["ort_best"] = min(best)
                if best and row.get("attune"):
                    row["speedup"] = row["ort_best"] / row["attune"]
                rows.append(row)
                print(f"  dense {row['shape']} causal={causal}: attune "
                      f"{cell(row, 'attune')} ms, ORT best "
                      f"{ms(row.get('ort_best'))} ms", file=sys.stderr)
    ctx.rows["peak_gflops_measured"] = median_of(peaks)
    measured = (f"; % of measured peak against the fp32 FMA throughput "
                f"attune-peak-bench measured in turn with each row (median "
                f"{median_of(peaks):.0f} GFLOP/s)" if peaks else
                "; attune-peak-bench not found: no measured peak")
    notes = ["GFLOP/s = 4 * Hq * (visible query/key pairs) * D / time; "
             f"% of peak against {PEAK_GFLOPS:.0f} GFLOP/s (both cores, "
             "AVX-512 FMA, ../shared/TOOLCHAIN.md)" + measured +
             ". speedup = ORT best ms / attune ms (> 1: attune is faster)."]
    if fallbacks:
        notes.append(A23_NOTE + "; ".join(sorted(fallbacks)) + ").")
    cols = [
        ("shape", lambda r: r["shape"]),
        ("causal", lambda r: "yes" if r["causal"] else "no"),
        ("L", lambda r: str(r["L"])),
        ("attune ms", lambda r: cell(r, "attune") +
         (" (A23)" if r.get("attune_model") else "")),
        ("GFLOP/s", lambda r: num(r.get("gflops"), "{:.1f}")),
        ("% peak", lambda r: num(r.get("peak_pct"), "{:.0f}%")),
        ("% measured peak",
         lambda r: num(r.get("peak_measured_pct"), "{:.0f}%")),
        ("ORT MHA/GQA ms", lambda r: cell(r, "ort_fused")),
        ("ORT Attention-23 ms", lambda r: cell(r, "ort_a23")),
        ("ORT decomposed ms", lambda r: cell(r, "ort_dec")),
        ("speedup vs ORT best", lambda r: num(r.get("speedup"), "{:.2f}x")),
    ]
    table("dense attention", cols, rows, notes)
    return rows


# -- 2. sparse ---------------------------------------------------------------

def sparse_forms(quick):
    """(name, rewrite, density fn(l, q, k) -> float, dynamic)."""
    w = lambda win: (lambda l, q, k: density.window(l, 12, win, 4))  # noqa
    forms = [
        ("window 512 + 4 sinks",
         "attn-sparsify{pattern=window window=512 sinks=4}", w(512), False),
        ("window 128 + 4 sinks",
         "attn-sparsify{pattern=window window=128 sinks=4}", w(128), False),
    ]
    if quick:
        return forms[:1]
    forms += [
        ("headwise (heads 0,1 dense; recent 256)",
         "attn-sparsify{pattern=headwise retrieval-heads=0,1 sinks=4 "
         "recent=256}",
         lambda l, q, k: density.headwise(l, 12, {0, 1}, 4, 256), False),
        ("block-static 64 (local 16 + stride 8)",
         "attn-sparsify{pattern=block-static block-size=64 "
         "layout-kind=local-strided local-blocks=16 stride=8}",
         lambda l, q, k: density.block_static(l, 12, 64, 16, 8), False),
        ("MoBA (block-k 512, top-3)",
         "attn-sparsify{pattern=dynamic method=moba block-k=512 topk=3}",
         lambda l, q, k: density.moba(q, k, 1, 512, 3, "top_left"), True),
        ("SLA (64x64, top 20%)",
         "attn-sparsify{pattern=dynamic method=sla}",
         lambda l, q, k: density.sla(q, k, 64, 64, 0.2, "top_left"), True),
        ("SALE (64x32, tau 0.004)",
         "attn-sparsify{pattern=dynamic method=sale}",
         lambda l, q, k: density.sale(q, k, 64, 32, 0.004, "top_left", 1, 4),
         True),
    ]
    return forms


def cached_density(ctx, key, fn):
    path = os.path.join(ctx.cache, "density.json")
    table_ = {}
    if os.path.exists(path):
        with open(path) as f:
            table_ = json.load(f)
    if key not in table_:
        table_[key] = fn()
        os.makedirs(ctx.cache, exist_ok=True)
        with open(path, "w") as f:
            json.dump(table_, f, indent=1)
    return table_[key]


def causal_mha_case(ctx, l, fallbacks):
    """Causal MHA 1x12xLx64 on position-featured q/k: (q, k, inputs dir,
    attune model, why the model is Attention-23 or None); a fallback reason
    is added to `fallbacks`."""
    q, k, v = M.qkv_local(1, 12, 12, l, 64, ctx.args.seed)
    d = inputs_dir(ctx, f"qkv_local_12_12_{l}_{ctx.args.seed}",
                   {"q": q, "k": k, "v": v})
    model, why = attune_attention_model(ctx, 1, 12, 12, l, True)
    if why:
        fallbacks.add(why)
    return q, k, d, model, why


def sparse(ctx):
    quick = ctx.args.quick
    lengths = [1024] if quick else [4096, 8192]
    rows, fallbacks = [], set()
    for l in lengths:
        q, k, d, model, why = causal_mha_case(ctx, l, fallbacks)
        base = {"L": l, "form": "dense (causal)", "density": 1.0,
                "attune_model": "attention23" if why else "decomposed"}
        rows.append(base)
        # dense and every sparse form, timed in turn
        rnd = Rounds(ctx)
        rnd.add(base, "sparse", ctx.run.attune_bench, model, d)
        forms = []
        for name, rewrite, dfn, dynamic in sparse_forms(quick):
            row = {"L": l, "form": name, "rewrite": rewrite,
                   "dynamic": dynamic, "attune_model": base["attune_model"]}
            row["density"] = cached_density(
                ctx, f"{name}|{l}|local|{ctx.args.seed}", lambda: dfn(l, q, k))
            row["ideal"] = 1.0 / row["density"]
            # A form that takes a small fraction of dense's time gets more
            # runs (up to 8x), so that its median spans a comparable
            # stretch of the shared machine's time, not a few slow spells.
            runs = ctx.args.runs * max(1, min(8, int(0.25 / row["density"])))
            row["runs"] = runs
            rnd.add(row, "sparse", ctx.run.attune_bench, model, d,
                    rewrite=rewrite, runs=runs)
            forms.append(row)
        res, *form_res = rnd.run()
        dense_ms = res and res["median_ms"]
        base["sparse"] = base["dense"] = dense_ms
        for row, res in zip(forms, form_res):
            row["dense"] = dense_ms
            if dense_ms is None:
                row["dense_error"] = "dense run failed"
            if res:
                row["sparse"] = res["median_ms"]
                row["attune_json"] = res
                kern = res.get("kernel_ms") or {}
                if row["dynamic"] and kern.get("select"):
                    # the block-selection kernel's own time
                    row["select"] = kern["select"]
                elif row["dynamic"] and kern.get("sdpa") is not None:
                    # no selection kernel ran (--reference): all but sdpa
                    row["select"] = res["median_ms"] - kern["sdpa"]
                if dense_ms:
                    row["speedup"] = dense_ms / row["sparse"]
                    row["efficiency"] = row["speedup"] / row["ideal"]
            rows.append(row)
            print(f"  sparse L={l} {row['form']}: {cell(row, 'sparse')} ms, "
                  f"density {row['density']:.4f}", file=sys.stderr)
    notes = ["density = kept visible (query, key) pairs / visible causal "
             "pairs over all heads, computed exactly in numpy from each "
             "pattern's definition (dynamic forms: on the benchmark's q/k, "
             "which carry sinusoidal position features so that attention "
             "peaks near the diagonal). ideal = "
             "1/density; achieved = dense ms / sparse ms (dense timed in turn "
             "with the sparse forms); selection = the "
             "block-selection kernel time (kernel_ms select; with "
             "--reference, total minus the sdpa kernel time). A form of "
             "density d is timed over min(8, floor(0.25 / d)) times --runs "
             "runs (at least --runs)."]
    if fallbacks:
        notes.append(A23_NOTE + "; ".join(sorted(fallbacks)) + ").")
    cols = [
        ("form", form_cell),
        ("L", lambda r: str(r["L"])),
        ("density", lambda r: num(r.get("density"), "{:.4f}")),
        ("attune dense ms", lambda r: ms(r.get("dense"))),
        ("sparse ms", lambda r: cell(r, "sparse")),
        ("selection ms", lambda r: ms(r.get("select")) if r.get("dynamic")
         else ""),
        ("speedup", lambda r: num(r.get("speedup"), "{:.2f}x")),
        ("ideal", lambda r: num(r.get("ideal"), "{:.2f}x")),
        ("achieved/ideal", lambda r: num(r.get("efficiency"), "{:.0%}")),
    ]
    table("sparse attention (MHA 1x12xLx64, causal)", cols, rows, notes)
    return rows


# -- 2b. calibrated ----------------------------------------------------------

def calibrated(ctx):
    """ZeroTuning and ACT against dense attention on the same inputs: their
    score changes run inside the fused kernel, so the figure of interest is
    the overhead over dense (ACT adds a column-sum pass and a correction of
    the rows that reach its sinks)."""
    quick = ctx.args.quick
    lengths = [1024] if quick else [4096, 8192]
    forms = [("ZeroTuning (gamma 1.5)", "attn-calibrate{method=zerotuning}"),
             ("ACT (tau 0.1, beta 0.4)", "attn-calibrate{method=act}")]
    rows, fallbacks = [], set()
    for l in lengths:
        _, _, d, model, _ = causal_mha_case(ctx, l, fallbacks)
        base = {"L": l, "form": "dense (causal)"}
        rows.append(base)
        rnd = Rounds(ctx)
        rnd.add(base, "attune", ctx.run.attune_bench, model, d)
        forms_rows = []
        for name, rewrite in forms:
            row = {"L": l, "form": name, "rewrite": rewrite}
            rnd.add(row, "attune", ctx.run.attune_bench, model, d,
                    rewrite=rewrite)
            forms_rows.append(row)
        res, *form_res = rnd.run()
        base["attune"] = dense_ms = res and res["median_ms"]
        for row, res in zip(forms_rows, form_res):
            row["attune"] = res and res["median_ms"]
            if row["attune"] and dense_ms:
                row["overhead"] = row["attune"] / dense_ms - 1.0
            rows.append(row)
            print(f"  calibrated L={l} {row['form']}: "
                  f"{cell(row, 'attune')} ms", file=sys.stderr)
    notes = ["overhead = calibrated ms / dense ms - 1, dense timed in turn "
             "with the calibrated forms. Inputs as in "
             "the sparse section (sinusoidal position features, so that the "
             "first keys and a few others draw attention)."]
    if fallbacks:
        notes.append(A23_NOTE + "; ".join(sorted(fallbacks)) + ").")
    cols = [
        ("form", lambda r: r["form"]),
        ("L", lambda r: str(r["L"])),
        ("attune ms", lambda r: cell(r, "attune")),
        ("overhead vs dense", lambda r: num(r.get("overhead"), "{:+.1%}")),
    ]
    table("calibrated attention (MHA 1x12xLx64, causal)", cols, rows, notes)
    return rows


# -- 3. linear ---------------------------------------------------------------

def linear(ctx):
    quick = ctx.args.quick
    lengths = [1024] if quick else [2048, 4096, 8192, 16384]
    forms = [("elu+1", "attn-linearize{feature=elu1}", False),
             ("elu+1 causal", "attn-linearize{feature=elu1}", True),
             ("lightning (causal, chunk 64)",
              "attn-linearize{feature=lightning}", True),
             ("agent (49 agents)", "attn-linearize{feature=agent}", False),
             ("SLA hybrid (causal, 64-blocks, top 20% exact)",
              "attn-linearize{feature=hybrid}", True)]
    if quick:
        forms = forms[:1]
    rows, fallbacks = [], set()
    for l in lengths:
        q, k, v = M.qkv(1, 12, 12, l, l, 64, ctx.args.seed)
        d = inputs_dir(ctx, f"qkv_12_12_{l}_{ctx.args.seed}",
                       {"q": q, "k": k, "v": v})
        # attune dense of each causality and the linear forms, in turn
        rnd = Rounds(ctx)
        dense_side, form_sides = {}, []
        for name, rewrite, causal in forms:
            model, why = attune_attention_model(ctx, 1, 12, 12, l, causal)
            if why:
                fallbacks.add(why)
            row = {"L": l, "form": name, "causal": causal, "rewrite": rewrite,
                   "attune_model": "attention23" if why else "decomposed"}
            if causal not in dense_side:
                err = {}
                dense_side[causal] = (rnd.add(err, "dense",
                                              ctx.run.attune_bench, model, d),
                                      err)
            form_sides.append((row, rnd.add(row, "linear",
                                            ctx.run.attune_bench, model, d,
                                            rewrite=rewrite)))
        results = rnd.run()
        for row, side in form_sides:
            di, err = dense_side[row["causal"]]
            row["dense"] = results[di] and results[di]["median_ms"]
            if err.get("dense_error"):
                row["dense_error"] = err["dense_error"]
            res = results[side]
            if res:
                row["linear"] = res["median_ms"]
                row["attune_json"] = res
                if row["dense"]:
                    row["speedup"] = row["dense"] / row["linear"]
            rows.append(row)
            print(f"  linear L={l} {row['form']}: {cell(row, 'linear')} ms",
                  file=sys.stderr)
    notes = ["speedup = attune dense (softmax, same causality) ms / linear "
             "ms. Linear attention is O(L D^2) against O(L^2 D): the "
             "crossover moves to shorter L as the kernels improve. Agent "
             "attention is two softmax attentions through 49 pooled agent "
             "tokens (O(L n D)); the SLA hybrid computes 20% of the key "
             "blocks exactly (block-sparse softmax, its selection included) "
             "and the rest as linear attention, so its ideal is at most 5x."]
    if fallbacks:
        notes.append(A23_NOTE + "; ".join(sorted(fallbacks)) + ").")
    cols = [
        ("form", form_cell),
        ("L", lambda r: str(r["L"])),
        ("attune dense ms", lambda r: cell(r, "dense")),
        ("linear ms", lambda r: cell(r, "linear")),
        ("speedup", lambda r: num(r.get("speedup"), "{:.2f}x")),
    ]
    table("linear attention (MHA 1x12xLx64)", cols, rows, notes)
    return rows


# -- 4. decode ---------------------------------------------------------------

def l3_bytes():
    """Size of the last-level cache (sysconf), or None."""
    try:
        n = os.sysconf("SC_LEVEL3_CACHE_SIZE")
        return n if n and n > 0 else None
    except (ValueError, OSError):
        return None


RECYCLE_STRIDE = 16


def recycle_kept(q, k, topk, pool=5):
    """The kept set of an attn-recycle full step (the definition in
    docs/recycle.md, MHA): per head, the softmax of the last query row's
    scores, max-pooled over `pool` neighbours, its `topk` best positions
    (ties: lower positions) in position order. q [B, H, Lq, D], k
    [B, H, L, D] -> [B, H, topk] int64."""
    s = np.einsum("bhd,bhkd->bhk", q[:, :, -1], k) / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    lo, n = (pool - 1) // 2, p.shape[-1]
    pad = np.pad(p, [(0, 0), (0, 0), (lo, pool - 1 - lo)],
                 constant_values=-np.inf)
    pooled = np.max([pad[..., w:w + n] for w in range(pool)], 0)
    best = np.argsort(-pooled, axis=-1, kind="stable")[..., :topk]
    return np.sort(best, -1).astype(np.int64)


def decode(ctx):
    quick = ctx.args.quick
    lengths = [4096] if quick else [4096, 16384, 32768]
    h, dh = 12, 64
    rows, bandwidths = [], []
    rng = np.random.default_rng(ctx.args.seed)
    # --cold: before every run, both sides read twice the last-level
    # cache's worth of another buffer: a step then reads K and V from
    # memory, as one layer's step of a many-layer model does, instead of
    # finding a cache that fits in L3 left there by the previous run.
    l3 = l3_bytes()
    evict = (max(64, 2 * l3 // 2**20) if l3 else 256) if ctx.args.cold else 0
    for l in lengths:
        kv_bytes = 2 * h * l * dh * 4
        q = rng.standard_normal((1, h, 1, dh), dtype=np.float32)
        kc = rng.standard_normal((1, h, l, dh), dtype=np.float32)
        vc = rng.standard_normal((1, h, l, dh), dtype=np.float32)
        rnd = Rounds(ctx)
        # (a) the pure step: the cache is a graph input
        pure = {"q": q, "k_cache": kc, "v_cache": vc}
        row_pure = {"L": l, "form": "dense (cache inputs)", "bytes": kv_bytes}
        model = M.get("decode", h=h, l=l, d=dh, concat=False)
        d = inputs_dir(ctx, f"decode_pure_{l}_{ctx.args.seed}", pure)
        a_pure = rnd.add(row_pure, "attune", ctx.run.attune_bench, model, d,
                         evict_mib=evict)
        o_pure = rnd.add(row_pure, "ort", ctx.run.ort, model, pure,
                         evict_mib=evict)
        # (b) the exported-decoder form Concat(past, new), which
        # attn-recycle rewrites; (c) its recycled partial step
        cat = {"q": q, "k": kc[:, :, -1:].copy(), "v": vc[:, :, -1:].copy(),
               "past_key": np.ascontiguousarray(kc[:, :, :-1]),
               "past_value": np.ascontiguousarray(vc[:, :, :-1])}
        model = M.get("decode", h=h, l=l, d=dh, concat=True)
        row_cat = {"L": l, "form": "dense (Concat past + new)",
                   "bytes": kv_bytes}
        d = inputs_dir(ctx, f"decode_cat_{l}_{ctx.args.seed}", cat)
        a_cat = rnd.add(row_cat, "attune", ctx.run.attune_bench, model, d,
                        evict_mib=evict)
        o_cat = rnd.add(row_cat, "ort", ctx.run.ort, model, cat,
                        evict_mib=evict)
        # (b') the same step with every tensor float16 (a 16-bit KV cache):
        # attune's kernel reads K and V at their width
        cat16 = {n: x.astype(np.float16) for n, x in cat.items()}
        row_cat16 = {"L": l, "form": "dense f16 (Concat past + new)",
                     "bytes": kv_bytes // 2}
        model16 = M.get("decode", h=h, l=l, d=dh, concat=True, f16=True)
        d16 = inputs_dir(ctx, f"decode_cat16_{l}_{ctx.args.seed}", cat16)
        a_cat16 = rnd.add(row_cat16, "attune", ctx.run.attune_bench, model16,
                          d16, evict_mib=evict)
        o_cat16 = rnd.add(row_cat16, "ort", ctx.run.ort, model16, cat16,
                          evict_mib=evict)
        kept = l // 8
        # A partial step (step 1 of a stride-16 schedule): the keys kept at
        # the last full step plus the one token appended since (full_len =
        # L - 1). The kept set is the one a full step over the past selects
        # with the default pooling (5): runs of neighbouring positions
        # (about 5.4 on average on these inputs), as in a real decode.
        ki = recycle_kept(q, cat["past_key"], kept)
        state = dict(cat)
        state.update({"recycle.kept_indices.site0": ki,
                      "recycle.full_len.site0": np.array([l - 1], np.int64),
                      "recycle.step.site0": np.array([1], np.int64),
                      "recycle.ref_query.site0": np.zeros((1, dh),
                                                          np.float32)})
        touched = 2 * h * (kept + 1) * dh * 4
        row_rec = {"L": l, "form": f"recycled partial (K = L/8 = {kept})",
                   "bytes": touched,
                   "rewrite": f"attn-recycle{{stride={RECYCLE_STRIDE} "
                              f"topk={kept}}}",
                   "ort_note": "-"}
        d = inputs_dir(ctx, f"decode_recsel_{l}_{ctx.args.seed}", state)
        a_rec = rnd.add(row_rec, "attune", ctx.run.attune_bench, model, d,
                        evict_mib=evict, rewrite=row_rec["rewrite"])
        # The worst case for the same step: K distinct positions at random
        # (no pooling, unrelated scores), every kept row a separate
        # 256-byte read; the gather probe measures that pattern.
        state_rnd = dict(state)
        state_rnd["recycle.kept_indices.site0"] = np.sort(np.stack(
            [rng.choice(l - 1, kept, replace=False)
             for _ in range(h)])[None].astype(np.int64), -1)
        row_rnd = {"L": l, "form": f"recycled partial, {kept} random "
                   f"positions (worst case)", "bytes": touched,
                   "rewrite": row_rec["rewrite"], "ort_note": "-"}
        d = inputs_dir(ctx, f"decode_rec_{l}_{ctx.args.seed}", state_rnd)
        a_rnd = rnd.add(row_rnd, "attune", ctx.run.attune_bench, model, d,
                        evict_mib=evict, rewrite=row_rnd["rewrite"])
        # (d) its full step (step = 0: no state yet), which runs dense
        # attention, then ranks the pooled last-row probabilities for the
        # new top-K; every STRIDE-th step of a decode is one.
        state["recycle.step.site0"] = np.array([0], np.int64)
        row_full = {"L": l, "form": "recycled full (top-K = L/8)",
                    "bytes": kv_bytes, "rewrite": row_rec["rewrite"],
                    "ort_note": "-"}
        d = inputs_dir(ctx, f"decode_recfull_{l}_{ctx.args.seed}", state)
        a_full = rnd.add(row_full, "attune", ctx.run.attune_bench, model, d,
                         evict_mib=evict, rewrite=row_full["rewrite"])
        # the machine's read bandwidth, and its bandwidth for the recycled
        # step's pattern (scattered 256-byte rows), measured in turn with
        # the steps
        bw, gbw = {}, {}
        s_bw = rnd.add(bw, "stream", probe_side, ctx, "stream")
        g_bw = rnd.add(gbw, "gather", probe_side, ctx, "gather")
        res = rnd.run()
        measured = probe_figure("stream", res[s_bw])
        if measured:
            bandwidths.append(measured)
        gathered = probe_figure("gather", res[g_bw])
        if gathered:
            row_rnd["gather_gbs"] = gathered
        peak = measured or PEAK_GBS
        for row, a_i, o_i in ((row_pure, a_pure, o_pure),
                              (row_cat, a_cat, o_cat),
                              (row_cat16, a_cat16, o_cat16),
                              (row_rec, a_rec, None),
                              (row_rnd, a_rnd, None),
                              (row_full, a_full, None)):
            row["attune"] = res[a_i] and res[a_i]["median_ms"]
            if o_i is not None:
                row["ort"] = res[o_i] and res[o_i]["median_ms"]
            row["stream_gbs"] = peak
            row["stream_source"] = ("measured" if measured else
                                    "TOOLCHAIN.md")
            rows.append(row)
        # The mean step of a stride-16 schedule: one full, 15 partial.
        row_mean = {"L": l, "form": f"recycled mean step (stride "
                    f"{RECYCLE_STRIDE}: 1 full + {RECYCLE_STRIDE - 1} "
                    f"partial)", "bytes": None, "ort_note": "-"}
        if row_rec["attune"] and row_full["attune"]:
            row_mean["attune"] = (row_full["attune"] + (RECYCLE_STRIDE - 1) *
                                  row_rec["attune"]) / RECYCLE_STRIDE
        rows.append(row_mean)
        for r in (row_rec, row_rnd, row_full, row_mean):
            if r.get("attune") and row_cat["attune"]:
                r["speedup"] = row_cat["attune"] / r["attune"]
        for r in rows[-7:]:
            if not r.get("bytes"):
                continue
            if r.get("attune"):
                r["attune_gbs"] = r["bytes"] / (r["attune"] * 1e6)
                # time over the time to stream the bytes once at `peak`
                r["stream_x"] = r["attune"] / (r["bytes"] / (peak * 1e6))
                if r.get("gather_gbs"):
                    r["gather_x"] = r["attune"] / (r["bytes"] /
                                                   (r["gather_gbs"] * 1e6))
            if r.get("ort"):
                r["ort_gbs"] = r["bytes"] / (r["ort"] * 1e6)
            if r.get("attune") and r.get("ort"):
                r["vs_ort"] = r["ort"] / r["attune"]
        print(f"  decode L={l} (read bandwidth {peak:.1f} GB/s): " + ", ".join(
            f"{r['form']} {cell(r, 'attune')} ms" for r in rows[-7:]),
            file=sys.stderr)
        del kc, vc, pure, cat, cat16, state, state_rnd
        gc.collect()
    ctx.rows["stream_gbs"] = median_of(bandwidths)
    measured = bool(bandwidths)
    source = ("measured by attune-stream-bench (a 512 MiB read with the "
              "same threads) in turn with each length's steps (the median of "
              "the rounds)" if measured else
              "the TOOLCHAIN.md figure (attune-stream-bench not found)")
    notes = [f"bandwidth = bytes of K and V read / time (dense: 2 * H * L * "
             f"D * 4, f16 * 2; recycled: the K + 1 kept and appended positions only) "
             f"against the read bandwidth (GB/s column), {source}; x stream "
             f"= attune time / the time to read those bytes once at that "
             f"bandwidth (target <= 1.5). The recycled partial step reads "
             f"the kept set a full step selects on the same inputs (pool 5: "
             f"runs of neighbouring positions); the worst-case row reads K "
             f"random positions instead. gather GB/s: what this machine "
             f"reads in that worst-case pattern (attune-gather-bench: "
             f"256-byte rows at random sorted positions, 1 in 8, with "
             f"software prefetch, same threads, in turn with the steps); x "
             f"gather = that row's time over the time to read its rows at "
             f"that rate. speedup vs dense: the dense Concat step "
             f"of the same model over the recycled step. The full step "
             f"(every {RECYCLE_STRIDE}th with stride={RECYCLE_STRIDE}) runs "
             f"the dense step and the top-K selection of the new kept set; "
             f"the mean step is (full + {RECYCLE_STRIDE - 1} partial) / "
             f"{RECYCLE_STRIDE}, what a long decode pays per token. "
             + (f"--cold: before every run both sides read {evict} MiB of "
                f"another buffer (attune bench --evict-mib), so that K and V "
                f"come from memory, as in one layer's step of a many-layer "
                f"model, even where the cache would fit in the last-level "
                f"cache (the pool's helper thread also sleeps meanwhile and "
                f"wakes for the step)." if evict else
                "A cache smaller than the last-level cache"
                + (f" ({l3 / 2**20:.0f} MiB here)" if l3 else "")
                + " stays there between runs, so its figure can exceed DRAM "
                "bandwidth (--cold reads another buffer before each run).")]
    cols = [
        ("form", lambda r: r["form"]),
        ("L", lambda r: str(r["L"])),
        ("MB read", lambda r: num(r["bytes"] and r["bytes"] / 1e6,
                                  "{:.1f}")),
        ("attune ms", lambda r: cell(r, "attune")),
        ("attune GB/s", lambda r: num(r.get("attune_gbs"), "{:.1f}")),
        ("read GB/s", lambda r: num(r.get("stream_gbs"), "{:.1f}")),
        ("x stream", lambda r: num(r.get("stream_x"), "{:.2f}")),
        ("gather GB/s", lambda r: num(r.get("gather_gbs"), "{:.1f}")),
        ("x gather", lambda r: num(r.get("gather_x"), "{:.2f}")),
        ("ORT ms", lambda r: cell(r, "ort")),
        ("ORT GB/s", lambda r: num(r.get("ort_gbs"), "{:.1f}")),
        ("speedup vs ORT", lambda r: num(r.get("vs_ort"), "{:.2f}x")),
        ("speedup vs dense", lambda r: num(r.get("speedup"), "{:.2f}x")),
    ]
    table("decode step (q 1x12x1x64, KV cache 1x12xLx64)", cols, rows, notes)
    return rows


# -- 5. models ---------------------------------------------------------------

def whole_models(ctx):
    torch_dir = os.path.join(ROOT, "test", "fixtures", "torch")
    cases = [("tiny GPT-2 (models/tiny-gpt2.onnx)",
              lambda: os.path.join(ROOT, "models", "tiny-gpt2.onnx"),
              {"batch": 1, "sequence": 32})]
    if not ctx.args.quick:
        # The TorchScript exports bake their sequence lengths into Reshape
        # targets: they run at the shapes they were exported with.
        manifest = {}
        try:
            with open(os.path.join(torch_dir, "manifest.json")) as f:
                manifest = {e["name"]: e for e in json.load(f)}
        except (OSError, ValueError):
            pass
        for fixture, label in [
                ("torch_encoder_layer_op17", "torch encoder layer"),
                ("torch_encoder_layer_causal_op17",
                 "torch encoder layer, causal"),
                ("torch_decoder_layer_op17",
                 "torch decoder layer (self + cross)")]:
            path = os.path.join(torch_dir, fixture + ".onnx")
            cases.append((label, lambda p=path: p,
                          torch_dims(path, manifest.get(fixture))))
        cases += [
            ("GPT-2-style LM (4 layers, 256 hidden, 4 heads)",
             lambda: M.gpt2_lm(4, 256, 4, 2048),
             {"batch": 1, "sequence": 2048}),
            ("the same LM in float16",
             lambda: M.gpt2_lm_f16(4, 256, 4, 2048),
             {"batch": 1, "sequence": 2048}),
        ]
    rows = []
    for name, path_fn, dims in cases:
        row = {"model": name, "dims": dims}
        try:
            path = path_fn()
            row["path"] = os.path.relpath(path, ROOT)
            feeds = M.model_inputs(path, dims, ctx.args.seed)
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            row["attune_error"] = row["ort_error"] = str(e)
            rows.append(row)
            continue
        key = re.sub(r"[^A-Za-z0-9]+", "_", row["path"] + "_" + "_".join(
            f"{k}{v}" for k, v in sorted(dims.items())))
        d = inputs_dir(ctx, f"model_{key}_{ctx.args.seed}", feeds)
        runs = None
        for _ in range(2):
            rnd = Rounds(ctx)
            rnd.add(row, "attune", ctx.run.attune_bench, path, d, dims=dims,
                    runs=runs)
            rnd.add(row, "ort", ctx.run.ort, path, feeds, runs=runs)
            res, r = rnd.run()
            if runs or not res or res["median_ms"] >= 5:
                break
            # A sub-millisecond run is at the mercy of one late thread
            # wake-up on a shared machine: many more runs, on both sides.
            runs = max(ctx.args.runs, 200)
            row.pop("attune_error", None)
            row.pop("ort_error", None)
        if res:
            row["attune"] = res["median_ms"]
            row["compile"] = res.get("compile_ms")
            row["attune_json"] = res
        row["ort"] = r and r["median_ms"]
        row["runs"] = runs or ctx.args.runs
        if row.get("attune") and row.get("ort"):
            row["speedup"] = row["ort"] / row["attune"]
        rows.append(row)
        print(f"  model {name}: attune {cell(row, 'attune')} ms, ORT "
              f"{cell(row, 'ort')} ms", file=sys.stderr)
    cols = [
        ("model", lambda r: r["model"]),
        ("dims", lambda r: " ".join(f"{k}={v}" for k, v in r["dims"].items())),
        ("attune compile ms", lambda r: ms(r.get("compile"))),
        ("attune ms", lambda r: cell(r, "attune")),
        ("ORT ms", lambda r: cell(r, "ort")),
        ("speedup vs ORT", lambda r: num(r.get("speedup"), "{:.2f}x")),
    ]
    table("whole models", cols, rows,
          ["speedup = ORT ms / attune ms (> 1: attune is faster). Models "
           "under 5 ms are timed over at least 200 runs on both sides."])
    return rows


def torch_dims(path, entry):
    """Symbolic dimension values of a torch fixture from its manifest
    entry's input shapes (e.g. src [2, 11, 48] -> batch=2, sequence=11)."""
    dims = {}
    if entry is None or not os.path.exists(path):
        return dims
    import onnx
    model = onnx.load(path, load_external_data=False)
    for vi in model.graph.input:
        shape = entry.get("input_shapes", {}).get(vi.name)
        if shape is None:
            continue
        for dim, value in zip(vi.type.tensor_type.shape.dim, shape):
            if dim.dim_param:
                dims[dim.dim_param] = value
    return dims


# -- driver ------------------------------------------------------------------

def machine():
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            info["cpu"] = m.group(1) if m else None
    except OSError:
        pass
    try:
        import onnxruntime
        info["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    try:
        info["git"] = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"],
                                     capture_output=True, text=True
                                     ).stdout.strip() or None
    except OSError:
        pass
    return info


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--attune", default=os.path.join(ROOT, "build", "bin",
                                                     "attune"),
                    help="the attune binary (attune-opt is looked up next "
                         "to it)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="sections to run, comma separated: "
                         + ", ".join(SECTIONS))
    ap.add_argument("--quick", action="store_true",
                    help="a small subset of each section (< 1 minute)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5,
                    help="timed runs per measurement (the median is "
                         "reported)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds per comparison: the sides of a table row "
                         "(attune, onnxruntime, dense) are timed in turn, "
                         "each for runs/rounds runs per round, and the runs "
                         "pooled (at most --runs rounds)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cold", action="store_true",
                    help="decode: before every run, both sides read twice "
                    "the last-level cache's worth of another buffer, so "
                    "that K and V come from memory (one layer's step of a "
                    "many-layer model) even where they would fit in the "
                    "cache")
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds allowed per attune bench call")
    ap.add_argument("--mem-gb", type=float, default=None,
                    help="skip onnxruntime's decomposed graph when its "
                         "score tensors need more (default: 60%% of RAM)")
    ap.add_argument("--reference", action="store_true",
                    help="pass --reference to attune bench")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"),
                    help="models and inputs (default bench/.cache)")
    ap.add_argument("--out", default=None,
                    help="JSON results (default bench/results/<time>.json)")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 if any row has an error")
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {', '.join(bad)}; expected "
                 f"{', '.join(SECTIONS)}")
    if args.runs < 1 or args.threads < 1 or args.warmup < 0 or \
            args.rounds < 1:
        ap.error("--runs, --rounds and --threads must be >= 1, "
                 "--warmup >= 0")
    if args.mem_gb is None:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        args.mem_gb = 0.6 * pages / 2**30
    M.CACHE = args.cache

    try:
        import onnxruntime
        onnxruntime.set_default_logger_severity(3)
    except ImportError:
        print("run.py: onnxruntime is not installed (use .venv/bin/python)",
              file=sys.stderr)
        return 1
    runner = Runner(args)
    ctx = Ctx(args, runner)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    rounds = min(args.rounds, args.runs)
    print(f"# attune benchmarks ({stamp}): threads {args.threads}, median of "
          f"{args.runs} run(s) after {args.warmup} warmup(s), the sides of "
          f"each comparison in turn over {rounds} round(s)"
          + (", quick" if args.quick else "")
          + (", cold decode steps" if args.cold else ""))
    fns = {"dense": dense, "sparse": sparse, "calibrated": calibrated,
           "linear": linear,
           "decode": decode, "models": whole_models}
    results = {"time": stamp, "config": {k: v for k, v in vars(args).items()},
               "machine": machine(), "peak_gflops": PEAK_GFLOPS,
               "peak_gbs": PEAK_GBS, "sections": {}}
    t0 = time.time()
    try:
        for s in SECTIONS:
            if s in only:
                results["sections"][s] = fns[s](ctx)
    finally:
        shutil.rmtree(runner.work, ignore_errors=True)
    results["stream_gbs"] = ctx.rows.get("stream_gbs")
    results["peak_gflops_measured"] = ctx.rows.get("peak_gflops_measured")
    results["wall_s"] = time.time() - t0
    out = args.out or os.path.join(HERE, "results", f"{stamp}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1, default=str)
    errors = sum(1 for rows in results["sections"].values() for r in rows
                 for k in r if k.endswith("_error"))
    print(f"\nresults: {os.path.relpath(out)} ({results['wall_s']:.0f} s"
          + (f", {errors} error(s)" if errors else "") + ")")
    return 1 if args.strict and errors else 0


if __name__ == "__main__":
    sys.exit(main())
