"""cnnlab: helpers for the convolutional neural network notebooks.

Import the modules you need by name, e.g. ``from cnnlab import data, plots``.
Importing cnnlab itself does not import Keras.

One module per job:

- data, download: the data sets (loading, downloading); filters: classic image kernels (OpenCV);
- conv, pooling, params: convolution, pooling and parameter counts in plain NumPy;
- models: every network, by name, and comparing or costing one (same_layers, forward_flops);
- recipes: what notebooks 04 and 05 train (every setting); training: how (split, schedule,
  optimizer, batches); augment: shifted and mirrored training batches;
- prediction: labels and test-time views; evaluation: accuracy and confusion matrices;
- checkpoints: the learner's saved models and the shipped ones; whitening: the data-set first layer;
- transfer: the pre-trained 8-class network and reusing it for cat vs dog (notebook 07);
- runtime: Keras, precision, CPU facts, seeding; config: quick or full mode;
- plots, visualize, widgets: figures, looking inside models, interactive widgets;
- check, solutions: the exercises' checks and reference answers; grade: grading a class's
  submitted notebooks from the checks' recorded verdicts (`python -m cnnlab.grade`);
- _checks (private): the argument checks every public function uses.
"""

__version__ = "0.1.0"
