"""Multi-process launches (`accelerate launch`, `torchrun`): one process tracks, all train.

    accelerate launch --num_processes 2 -m train.run --exp minilm_finetune         # 2 GPUs
    torchrun --standalone --nproc_per_node 2 -m train.run --exp minilm_finetune    # the same
    torchrun --standalone --nproc_per_node 2 -m train.run --exp smoke_minilm_finetune  # CPU, gloo

(`accelerate launch --cpu --num_processes 2` starts one process unless MPI is installed.)

Every process runs train.run with the same configs and data. The Hugging Face Trainer inside a
family shards batches across the processes and keeps their weights in step, so every process
must call `fit` for every experiment, in the same order. Only the main process (RANK 0, or no
launcher at all) creates MLflow runs, evaluates, registers and exports; the others train, then
exit 0 and the launcher waits for the main process to finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable

from train.config import Config
from train.data import LoadedData
from train.families import family_class


def rank() -> int:
    """Global rank: RANK (set by torchrun/accelerate), else LOCAL_RANK, else 0."""
    for key in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(key, "").strip()
        if value:
            return int(value)
    return 0


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def init() -> int:
    """Read the launcher's environment and return this process's rank (0: the main one).

    Without a GPU (or with NEWS_KIT_DEVICE=cpu) the Trainer only goes multi-process when
    ACCELERATE_USE_CPU is set, which `accelerate launch --cpu` does and `torchrun` does not:
    set it here so both launchers give CPU data parallelism over gloo."""
    if world_size() > 1 and "ACCELERATE_USE_CPU" not in os.environ:
        import torch

        if os.environ.get("NEWS_KIT_DEVICE", "") == "cpu" or not torch.cuda.is_available():
            os.environ["ACCELERATE_USE_CPU"] = "true"
    return rank()


def follow(
    configs: list[Config],
    datasets: dict[Hashable, LoadedData],
    data_key: Callable[[Config], Hashable],
) -> int:
    """A non-main process: train each experiment in step with the main one, log nothing.

    Families without collectives (TF-IDF, frozen embeddings) are fitted here too: it costs a
    little compute and keeps this loop free of a list of which family is distributed."""
    import torch  # a follower only exists under a torch launcher

    if torch.cuda.is_available():
        # A family outside the Trainer puts its model on "cuda", i.e. the current device:
        # make that this process's own GPU rather than the main process's GPU 0.
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0") or 0))
    for cfg in configs:
        data = datasets[data_key(cfg)]
        family = family_class(cfg.model.family)(cfg.model.params, cfg.labels, cfg.seed)
        print(f"[rank {rank()}] [{cfg.name}] training {cfg.model.family} (not tracked)")
        family.fit(data.splits["train"], data.splits["validation"], report=lambda m, s: None)
    return 0
