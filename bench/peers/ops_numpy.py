"""numpy on one thread for bench/ops.mjs: ms per call of each operation, as JSON on stdout.

   python3 ops_numpy.py N_REDUCE GEMM_SIZES FFT_LOG2_SIZES REPS   (comma-separated, e.g. 512,1024 and 12,16,20)
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

n = int(sys.argv[1])
gemm = [int(s) for s in sys.argv[2].split(",") if s]
ffts = [int(s) for s in sys.argv[3].split(",") if s]
reps = int(sys.argv[4])


def per_call(fn, min_ms=8.0):
    fn()
    t0 = time.perf_counter()
    calls = 0
    while calls < 1 or (time.perf_counter() - t0) * 1e3 < min_ms:
        fn()
        calls += 1
    one = (time.perf_counter() - t0) * 1e3 / calls
    batch = max(1, int(min_ms / max(one, 1e-4)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t0) * 1e3 / batch)
    return samples


rng = np.random.default_rng(1)
x = rng.random(n) * 2 - 1
y = rng.random(n) * 2 - 1
out = np.empty(n)
result = {"numpy": np.__version__, "ops": {}}
ops = result["ops"]
ops["sum"] = per_call(lambda: x.sum())
ops["min"] = per_call(lambda: x.min())
ops["argmax"] = per_call(lambda: x.argmax())
ops["variance"] = per_call(lambda: x.var())
ops["cumsum"] = per_call(lambda: np.cumsum(x, out=out))
ops["axpby"] = per_call(lambda: np.add(np.multiply(x, 1.5, out=out), np.multiply(y, 0.25), out=out))
ops["exp"] = per_call(lambda: np.exp(x, out=out))
for size in gemm:
    for dtype in ("float32", "float64"):
        a = rng.random((size, size)).astype(dtype)
        b = rng.random((size, size)).astype(dtype)
        ops[f"gemm.{dtype}.{size}"] = per_call(lambda: a @ b)
for lg in ffts:
    for dtype in ("complex64", "complex128"):
        z = (rng.random(2**lg) + 1j * rng.random(2**lg)).astype(dtype)
        ops[f"fft.{dtype}.{lg}"] = per_call(lambda: np.fft.fft(z))
print(json.dumps(result))
