"""The MLflow pyfunc entry of every exported model (MLflow "models from code").

MLflow runs this file when the model is loaded, so no pickled Python object is needed; the
weights come from the `labeler` artifact folder (safetensors / skops), read in load_context.
"""

from __future__ import annotations

from typing import Any

import mlflow
from mlflow.pyfunc import PythonModel


class LabelerModel(PythonModel):
    def load_context(self, context: Any) -> None:
        from train.labeler import Labeler

        self.labeler = Labeler.load(context.artifacts["labeler"])

    # No type hints on purpose: MLflow would turn them into a second, stricter input schema.
    def predict(self, context, model_input, params=None):
        return self.labeler.predict(model_input)


mlflow.models.set_model(LabelerModel())
