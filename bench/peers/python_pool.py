"""Python's multiprocessing.Pool on the same trivial tasks as the Node pools.

Run by bench/dispatch.mjs; prints one JSON object of raw samples on stdout:
  roundtrip: per repetition, the median and p99 of one-at-a-time
             apply_async(add, (i, 1)).get() latency, in microseconds
  burst:     per repetition, tasks/s for `burst` apply_async calls at once
  map:       per repetition, items/s for pool.map(square, range(items))
             with Python's default chunksize
"""
import json
import math
import multiprocessing
import sys
import time


def add(a, b):
    return a + b


def square(x):
    return x * x


def quantile(values, p):
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))
    return ordered[rank]


def main():
    workers, warmup, reps, roundtrips, burst, items = (int(a) for a in sys.argv[1:7])
    out = {"python": sys.version.split()[0], "roundtrip": [], "burst": [], "map": []}
    with multiprocessing.Pool(workers) as pool:
        for rep in range(-warmup, reps):
            latencies = []
            for i in range(roundtrips):
                t = time.perf_counter()
                pool.apply_async(add, (i, 1)).get()
                latencies.append((time.perf_counter() - t) * 1e6)
            t = time.perf_counter()
            results = [pool.apply_async(add, (i, 1)) for i in range(burst)]
            for r in results:
                r.get()
            burst_rate = burst / (time.perf_counter() - t)
            t = time.perf_counter()
            pool.map(square, range(items))
            map_rate = items / (time.perf_counter() - t)
            if rep >= 0:
                out["roundtrip"].append({"median": quantile(latencies, 0.5), "p99": quantile(latencies, 0.99)})
                out["burst"].append(burst_rate)
                out["map"].append(map_rate)
            print("python warm-up" if rep < 0 else f"python rep {rep + 1}/{reps}", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
