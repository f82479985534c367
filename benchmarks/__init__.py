"""Side-by-side benchmarks: the seeds' plain-Keras models against cnnlab's notebook models.

Run ``python -m benchmarks.run --help``; results are recorded in ``benchmarks/RESULTS.md``.
"""
