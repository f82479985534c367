#!/usr/bin/env python3
"""Pre-train the network notebook 07 reuses: the CIFAR-10 recipe on the 8 classes without cat and dog.

    python scripts/pretrain_transfer.py [--epochs 4]

Trains ``cnnlab.recipes.CIFAR10`` shortened to a few epochs (about 5 minutes on
2 cores) on the training photos of the eight classes, saves the network in
float32 without optimizer state to cnnlab/assets/cifar8_recipe.keras, and
records its accuracy on those classes' test photos, plain and with the
recipe's test-time views, in cnnlab/assets/cifar8_recipe.json, which
tests/test_transfer.py checks.
"""

import argparse
import dataclasses
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnlab import data, evaluation, models, prediction, recipes, runtime  # noqa: E402
from cnnlab import training, transfer  # noqa: E402
from cnnlab.runtime import keras  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs of the shortened recipe")
    args = parser.parse_args(argv)
    recipe = dataclasses.replace(recipes.CIFAR10, epochs=args.epochs)
    (x_train, y_train), (x_test, y_test) = data.load("cifar10")
    x_train, y_train = transfer.select_classes(x_train, y_train, transfer.PRETRAIN_CLASSES)
    x_test, y_test = transfer.select_classes(x_test, y_test, transfer.PRETRAIN_CLASSES)
    num_classes = len(transfer.PRETRAIN_CLASSES)
    (x_fit, y_fit), (x_valid, y_valid) = training.split_validation(x_train, y_train)

    runtime.set_seed(0)
    keras.mixed_precision.set_global_policy(runtime.precision_policy())
    model = models.cifar10_model(num_classes=num_classes, name=transfer.PRETRAINED_NAME)
    training.compiled_model(recipe, x_fit, model)
    batches = training.train_batches(recipe, x_fit, training.one_hot(y_fit, num_classes))
    start = time.perf_counter()
    model.fit(batches, epochs=recipe.epochs, verbose=2,
              validation_data=(x_valid, training.one_hot(y_valid, num_classes)))
    seconds = time.perf_counter() - start

    # Rebuilt in float32, as scripts/ship_checkpoints.py does: fast wherever it is loaded.
    shipped = transfer.pretrained_network()
    models.same_layers(model, shipped)
    shipped.set_weights(model.get_weights())
    partial = transfer.PRETRAINED_FILE.with_name(transfer.PRETRAINED_FILE.stem + ".partial.keras")
    shipped.save(partial)
    partial.replace(transfer.PRETRAINED_FILE)
    plain = evaluation.accuracy(y_test, prediction.predict_labels(shipped, x_test))
    views = evaluation.accuracy(y_test, prediction.predict_recipe(recipe, shipped, x_test))
    record = {"classes": list(transfer.PRETRAIN_CLASSES), "epochs": recipe.epochs,
              "train_images": len(x_fit), "train_seconds": round(seconds, 1),
              "test_images": len(x_test), "test_accuracy": plain, "test_accuracy_views": views}
    transfer.PRETRAINED_RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"{transfer.PRETRAINED_FILE.relative_to(ROOT)}: "
          f"{transfer.PRETRAINED_FILE.stat().st_size / 1e6:.1f} MB, trained in {seconds:.0f} s; "
          f"test accuracy on the 8 classes {plain:.4f}, {views:.4f} with the test-time views")
    return 0


if __name__ == "__main__":
    sys.exit(main())
