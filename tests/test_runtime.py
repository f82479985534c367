"""Where cnnlab runs: /proc/cpuinfo read once, bfloat16 only where the CPU has it, repeatable seeding."""

import numpy as np

from cnnlab import models, runtime
from cnnlab.runtime import keras

CPUINFO = ("processor\t: 0\nmodel name\t: Example CPU @ 2.00GHz\nflags\t\t: fpu sse2 {extra} fma\n\n"
           "processor\t: 1\nmodel name\t: Example CPU @ 2.00GHz\nflags\t\t: fpu sse2 {extra} fma\n")


def test_cpuinfo_field_reads_the_first_matching_line(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO.format(extra="avx2"))
    assert runtime.cpuinfo_field("model name", path) == "Example CPU @ 2.00GHz"
    assert runtime.cpuinfo_field("flags", path) == "fpu sse2 avx2 fma"
    assert runtime.cpuinfo_field("model", path) is None  # a whole key, not a prefix of one
    assert runtime.cpuinfo_field("flags", tmp_path / "no_such_file") is None  # not Linux


def test_bfloat16_only_where_the_cpu_has_it(tmp_path, monkeypatch):
    with_bf16, without = tmp_path / "bf16", tmp_path / "plain"
    with_bf16.write_text(CPUINFO.format(extra="avx512f avx512_bf16"))
    without.write_text(CPUINFO.format(extra="avx512f avx2"))
    assert runtime.cpu_has_bfloat16(with_bf16) and not runtime.cpu_has_bfloat16(without)
    assert not runtime.cpu_has_bfloat16(tmp_path / "no_such_file")  # not Linux: float32
    monkeypatch.setattr(runtime, "cpu_has_bfloat16", lambda: True)
    expected = "mixed_bfloat16" if keras.backend.backend() == "tensorflow" else "float32"
    assert runtime.precision_policy() == expected
    monkeypatch.setattr(runtime, "cpu_has_bfloat16", lambda: False)
    assert runtime.precision_policy() == "float32"


def test_set_seed_makes_training_repeatable():
    random = np.random.default_rng(0)
    images = random.integers(0, 256, size=(64, 28, 28, 1), dtype=np.uint8)
    labels = random.integers(0, 2, size=64)
    weights = []
    for seed in (3, 3, 4):
        runtime.set_seed(seed)
        model = models.mlp(hidden_units=(8,))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
        weights.append(model.get_weights())
    for first, second in zip(weights[0], weights[1]):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(weights[0][0], weights[2][0])  # another seed, other weights
