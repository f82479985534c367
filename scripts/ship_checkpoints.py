#!/usr/bin/env python3
"""Copy the models that notebooks 04 and 05 saved in full mode into cnnlab/assets/, for notebook 06.

    python scripts/ship_checkpoints.py

Run it after a full run of the notebooks (`make notebooks`). The shipped copies
hold the weights only (no optimizer state), in float32, which halves their size; their test
accuracies (with the recipes' test-time views) go into cnnlab/assets/shipped.json,
which tests/test_shipped.py checks.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cnnlab import checkpoints, data, evaluation, models, prediction, recipes  # noqa: E402
from cnnlab.runtime import keras  # noqa: E402


def main():
    accuracies = {}
    for name, checkpoint in checkpoints.FILE_NAMES.items():
        source = ROOT / "notebooks" / "checkpoints" / f"{checkpoint}.keras"
        if not source.is_file():
            print(f"{source} is missing: run notebook {checkpoints.NOTEBOOKS[name]} in full mode first")
            return 1
        trained = keras.models.load_model(source, compile=False)
        # Rebuilt in float32: a model saved under mixed_bfloat16 would compute in bfloat16 wherever
        # it is loaded, which is slow on CPUs without native bfloat16.
        model = checkpoints.recipe_network(name)
        models.same_layers(trained, model)
        model.set_weights(trained.get_weights())
        target = checkpoints.shipped_checkpoint(name)
        partial = target.with_name(target.name + ".partial.keras")  # Keras insists on the suffix
        model.save(partial)
        partial.replace(target)
        _, (x_test, y_test) = data.load(name)
        probabilities = prediction.predict_recipe(recipes.get(name), model, x_test)
        accuracies[name] = evaluation.accuracy(y_test, probabilities)
        print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1e6:.1f} MB, "
              f"test accuracy {accuracies[name]:.4f} with the recipe's test-time views")
    checkpoints.SHIPPED_ACCURACIES.write_text(json.dumps(accuracies, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
