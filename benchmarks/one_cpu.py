"""Time a short preset on ONE CPU, as a learner on Binder or a 1-core laptop would train it.

    python -m benchmarks.one_cpu --data-dir DIR [--name cifar10] [--save]

The process pins itself to one CPU before Keras and TensorFlow load (so their thread pools
are sized for one core), trains ``recipes.get(name, "short")`` on seed 0 as
``benchmarks.run`` does, and with ``--save`` adds ``train_seconds_one_cpu`` and
``accuracy_one_cpu`` to that section's ``short`` entry in ``cnnlab/assets/benchmark.json``
(run ``benchmarks.run`` first: the section must exist).
"""

import argparse
import json
import os
import sys


def pin_to_one_cpu():
    """Restrict this process to its first allowed CPU; return that CPU's number."""
    first = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {first})
    return first


def with_one_cpu_time(results, name, seconds, accuracy):
    """``results`` with ``name``'s short entry extended by the one-CPU measurement (a new dict)."""
    if name not in results or "short" not in results[name]:
        raise KeyError(f"benchmark.json has no {name!r} section with a 'short' entry: "
                       f"run python -m benchmarks.run --only {name} --save first")
    section = dict(results[name])
    section["short"] = dict(section["short"], train_seconds_one_cpu=round(seconds, 1),
                            accuracy_one_cpu=round(accuracy, 4))
    return dict(results, **{name: section})


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.one_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--name", default="cifar10", choices=("cifar10", "mnist"))
    parser.add_argument("--save", action="store_true")
    arguments = parser.parse_args(argv)
    cpu = pin_to_one_cpu()  # before TensorFlow starts its thread pools
    from benchmarks import run
    from cnnlab import recipes

    run.use_data_dir(arguments.data_dir, [arguments.name])
    if arguments.save:  # fail before any training if there is nothing to extend
        with_one_cpu_time(recipes.benchmark_results(), arguments.name, 0.0, 0.0)
    result = run.train_recipe(recipes.get(arguments.name, "short"), *run.load_splits(arguments.name, False),
                              f"{arguments.name} short preset on CPU {cpu} alone", seed=0)
    print(json.dumps({"cpu": cpu, "train_seconds": round(result.training_seconds, 1),
                      "accuracy": round(result.accuracy, 4)}), flush=True)
    if arguments.save:
        updated = with_one_cpu_time(recipes.benchmark_results(), arguments.name, result.training_seconds,
                                    result.accuracy)
        run.save_results({arguments.name: updated[arguments.name]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
