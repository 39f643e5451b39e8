"""Model families, picked by name from a plain dict.

A family is one module with a class that follows `train.families.base.Family`. Adding a
fourth family is one new file here, one line in FAMILIES, and one experiment YAML.
Modules are imported on first use so that serving a TF-IDF model never imports torch.
"""

from __future__ import annotations

import importlib

FAMILIES: dict[str, str] = {
    "tfidf_logreg": "train.families.tfidf:TfidfLogReg",
    "embed_logreg": "train.families.embed:EmbedLogReg",
    "minilm_finetune": "train.families.finetune:FineTuned",
}


def family_class(name: str) -> type:
    if name not in FAMILIES:
        raise KeyError(f"unknown model family '{name}' (known: {', '.join(FAMILIES)})")
    module, _, attr = FAMILIES[name].partition(":")
    return getattr(importlib.import_module(module), attr)
