"""cnnlab: helpers for the convolutional neural network notebooks.

Import the modules you need by name, e.g. ``from cnnlab import data, plots``.
Importing cnnlab itself does not import Keras.
"""

__version__ = "0.1.0"
