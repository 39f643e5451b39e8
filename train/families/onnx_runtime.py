"""The fine-tuned classifier as ONNX: export (fp32 and dynamic int8) and an ONNX Runtime runner.

FineTuned.save writes both files next to the safetensors weights, so an exported MLflow model
carries them; FineTuned.load runs them with ONNX Runtime on the CPU (int8 by default), which is
several times faster than PyTorch eager there. The backend is, first match wins:
  NEWS_KIT_BACKEND=onnx-int8|onnx-fp32|torch   (environment, at load time)
  model.params.backend                         (saved with the model; default `auto`)
  auto                                         onnx-int8 on a CPU, torch on a GPU
A model without the ONNX files, or a machine without onnxruntime, runs PyTorch eager.
"""

from __future__ import annotations

import copy
import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
ENV_VAR = "NEWS_KIT_BACKEND"
BACKENDS = ("auto", "onnx-int8", "onnx-fp32", "torch")
FILES = {"onnx-int8": INT8_FILE, "onnx-fp32": FP32_FILE}
# 17 has LayerNormalization as one op, which ONNX Runtime runs as one fused kernel.
OPSET = 17


class BackendError(ValueError):
    """An unknown backend name, phrased for the user."""


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class _Logits(torch.nn.Module):
    """Positional inputs, one output. The exporter names graph inputs by position, so the
    names are passed back as keywords here (a kwargs export mislabels them silently)."""

    def __init__(self, model: torch.nn.Module, names: list[str]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.model(**dict(zip(self.names, tensors, strict=True))).logits


def export(model: torch.nn.Module, tokenizer, folder: Path) -> list[Path]:
    """Write FP32_FILE and INT8_FILE into `folder`; returns their paths.

    Uses the TorchScript exporter (dynamo=False): it needs no onnxscript and handles BERT's
    dynamic batch and sequence axes in seconds."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    example = tokenizer(
        ["An example sentence, a little longer.", "Short."], ["its context", ""],
        padding=True, return_tensors="pt",
    )  # fmt: skip
    names = list(example.keys())  # what this tokenizer feeds (BERT: ids, segments, mask)
    # A CPU fp32 copy in eval mode: the caller's model keeps its device, and the exporter's
    # train()/eval() restore on the wrapper never reaches the caller's model.
    wrapper = _Logits(copy.deepcopy(model).to("cpu", torch.float32), names).eval()
    fp32, int8 = folder / FP32_FILE, folder / INT8_FILE
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated upstream, and tracing warns about shape checks
        # that are constant for this model; neither is actionable for someone training it.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            tuple(example[name] for name in names),
            str(fp32),
            dynamo=False,
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**axes, "logits": {0: "batch"}},
            opset_version=OPSET,
        )
    # quantize_dynamic logs a root-logger hint about pre-processing (shape inference adds
    # nothing measurable for this graph); keep it out of the training output.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        # Weights int8 per output channel, activations quantised on the fly: no calibration set.
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    return [fp32, int8]


def choose_backend(folder: Path, saved: str, on_gpu: bool, requested: str | None = None) -> str:
    """The backend to load `folder` with: `requested` (by code), else the env var, else the
    `saved` choice, else auto.

    Falls back to torch, with a warning when ONNX was asked for by name, if the file or
    onnxruntime is missing: a model that cannot run fast still runs."""
    env = os.environ.get(ENV_VAR, "").strip()
    if requested:
        wanted, where = requested, "backend argument"
    elif env:
        wanted, where = env, f"environment variable {ENV_VAR}"
    else:
        wanted, where = saved or "auto", f"{folder / 'config.json'}: news_kit_backend"
    if wanted not in BACKENDS:
        raise BackendError(f"{where}: unknown backend '{wanted}' (known: {', '.join(BACKENDS)})")
    explicit = wanted != "auto"
    if not explicit:
        wanted = "torch" if on_gpu else "onnx-int8"
    if wanted == "torch":
        return wanted
    missing = None
    if not onnxruntime_available():
        missing = "onnxruntime is not installed"
    elif not (folder / FILES[wanted]).exists():
        missing = f"{folder / FILES[wanted]} does not exist"
    if missing:
        if explicit:
            warnings.warn(f"backend {wanted}: {missing}; using torch", stacklevel=2)
        return "torch"
    return wanted


class OnnxClassifier:
    """An ONNX Runtime session over one exported file: token ids in, logits out."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: on a small shared CPU, spinning burns
        # the cores the other thread (and other jobs) need; measured 1.5x faster under load.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def logits(self, encoded: Mapping[str, np.ndarray]) -> np.ndarray:
        feed = {name: np.asarray(encoded[name], dtype=np.int64) for name in self.inputs}
        return self.session.run(["logits"], feed)[0]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - logits.max(-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(-1, keepdims=True)
