"""Python's multiprocessing.Pool on the flow question's probe: does queued work reach the workers while the
main thread computes?

Run by bench/flow.mjs with: workers warmup reps tasks busy_ms task_ms. Prints one JSON object:
  apply: per repetition, how many of `tasks` apply_async(spin, (task_ms,)) results were ready() when a
         busy loop of busy_ms that never yields ended
  map:   per repetition, ms that map_async(spin, [task_ms] * tasks).get() still waited after the same loop
"""
import json
import multiprocessing
import sys
import time


def spin(ms):
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def busy(ms):
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


def main():
    workers, warmup, reps, tasks, busy_ms = (int(a) for a in sys.argv[1:6])
    task_ms = float(sys.argv[6])
    out = {"python": sys.version.split()[0], "apply": [], "map": []}
    with multiprocessing.Pool(workers) as pool:
        pool.map(spin, [0] * workers)  # every worker started before the first repetition
        for rep in range(-warmup, reps):
            results = [pool.apply_async(spin, (task_ms,)) for _ in range(tasks)]
            busy(busy_ms)
            done = sum(1 for r in results if r.ready())
            for r in results:
                r.get()
            mapped = pool.map_async(spin, [task_ms] * tasks)
            busy(busy_ms)
            t = time.perf_counter()
            mapped.get()
            waited = (time.perf_counter() - t) * 1000
            if rep >= 0:
                out["apply"].append(done)
                out["map"].append(waited)
            print("python flow warm-up" if rep < 0 else f"python flow rep {rep + 1}/{reps}", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
