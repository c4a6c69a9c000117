"""MACs and cycles of weight and activation sparsity (issue 6 targets), in one run.

    .venv/bin/python tools/bench_sparsity.py [MODEL ...] [--random N] [--layers]

Per shared model (default vww_96_int8): the default blob (sparse weights where
they pay, zero-point activations skipped after ReLUs) against our own dense run
(weight_format="dense", activation_sparsity=False), over the golden inputs and N
random int8 inputs: MACs executed / dense, the MACs skipped for zero weights and
for zero activations, modelled cycles / the dense run's, the converter's
estimate (the dense-activation bound), and the blob size. Outputs are checked
against the goldens. --layers adds the per-layer figures of the last golden input.
"""
import argparse
import os

import numpy as np

import edge_dla

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "shared", "models")
KEYS = ("macs", "macs_skipped", "macs_skipped_act", "cycles")


def runs(blob, inputs, golden_outputs=None):
    """Per input: the total counters; and the per-layer rows of the last run."""
    it = edge_dla.Interpreter(model_content=blob)
    it.allocate_tensors()
    d, o = it.get_input_details()[0], it.get_output_details()[0]
    totals = []
    for k, x in enumerate(inputs):
        it.set_tensor(d["index"], x.reshape(d["shape"]))
        it.invoke()
        if golden_outputs is not None and k < len(golden_outputs):
            y = it.get_tensor(o["index"]).reshape(-1)
            assert np.array_equal(y, golden_outputs[k].reshape(-1)), f"golden {k} differs"
        totals.append({key: it.profile()["total"][key] for key in KEYS})
    return totals, it.profile()["layers"]


def report(name, n_random, layers):
    data = open(os.path.join(MODELS, f"{name}.tflite"), "rb").read()
    golden = np.load(os.path.join(MODELS, "golden", f"{name}.npz"))
    g_in = [golden[f"input_{k}"] for k in range(6)]
    g_out = [golden[f"output_{k}"] for k in range(6)]
    rng = np.random.default_rng(0)
    r_in = [rng.integers(-128, 128, size=g_in[0].shape).astype(g_in[0].dtype) for _ in range(n_random)]
    blobs = {
        "default": edge_dla.convert(data),
        "no act skip": edge_dla.convert(data, activation_sparsity=False),
        "dense weights + act skip": edge_dla.convert(data, weight_format="dense"),
        "dense (ours)": edge_dla.convert(data, weight_format="dense", activation_sparsity=False),
    }
    results, last_rows = [], None
    for label, blob in blobs.items():
        estimate = edge_dla.inspect(blob)["plan"]["cycles_estimate"]
        for kind, inputs in (("golden", g_in), ("random", r_in)):
            if not inputs:
                continue
            totals, rows = runs(blob, inputs, g_out if kind == "golden" else None)
            if label == "default" and kind == "golden":
                last_rows = rows
            results.append((label, len(blob), estimate, kind, totals))
    base = results[-2 if r_in else -1][4][0]["cycles"]  # dense (ours), golden: data-independent
    print(f"\n{name}: {len(data):,} B .tflite; outputs equal the goldens for every blob; "
          f"dense (ours): {base:,} cycles")
    print(f"{'blob':<26} {'bytes':>8} {'inputs':<7} {'MACs/dense':>10} {'worst':>6} {'skip w':>7} "
          f"{'skip act':>8} {'cycles':>8} {'worst':>7} {'/dense':>7} {'estimate':>9}")
    for label, size, estimate, kind, totals in results:
        dense = [t["macs"] + t["macs_skipped"] + t["macs_skipped_act"] for t in totals]
        frac = [t["macs"] / n for t, n in zip(totals, dense)]
        cycles = [t["cycles"] for t in totals]
        sw = np.mean([t["macs_skipped"] / n for t, n in zip(totals, dense)])
        sa = np.mean([t["macs_skipped_act"] / n for t, n in zip(totals, dense)])
        print(f"{label:<26} {size:>8,} {kind:<7} {np.mean(frac):>10.3f} {max(frac):>6.3f} {sw:>7.3f} {sa:>8.3f} "
              f"{np.mean(cycles):>8,.0f} {max(cycles):>7,} {np.mean(cycles) / base:>7.3f} {estimate:>9,}")
    if layers:
        print(f"\nper layer, default blob, golden input 5 ({name}):")
        print(f"{'#':>3}  {'op':<26} {'dense':>9} {'MACs':>9} {'skip w':>9} {'skip act':>9} {'exec':>6} {'cycles':>7}")
        for i, r in enumerate(last_rows):
            dense = r["macs"] + r["macs_skipped"] + r["macs_skipped_act"]
            if dense:
                print(f"{i:>3}  {r['op']:<26} {dense:>9,} {r['macs']:>9,} {r['macs_skipped']:>9,} "
                      f"{r['macs_skipped_act']:>9,} {r['macs'] / dense:>6.2f} {r['cycles']:>7,}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["vww_96_int8"])
    ap.add_argument("--random", type=int, default=8, help="random inputs per blob (default 8)")
    ap.add_argument("--layers", action="store_true", help="per-layer figures of the default blob")
    args = ap.parse_args()
    for name in args.models:
        report(name, args.random, args.layers)


if __name__ == "__main__":
    main()
