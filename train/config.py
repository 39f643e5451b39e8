"""Typed configuration: configs/base.yaml + one experiment file + `key.sub=value` overrides.

Everything is validated before any work starts, so a typo costs a clear message naming the key
and the file it came from, never a half-finished MLflow run.

    from train.config import load_config
    cfg = load_config("tfidf_logreg", ["model.params.C=2"])
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "configs"


class ConfigError(ValueError):
    """A config problem, phrased for the user: it names the key and the file."""


@dataclass
class DataConfig:
    source: str = "builtin"
    text_column: str = "text"
    label_column: str = "label"
    split_column: str = "split"
    doc_column: str = "doc_id"
    label_map: dict[str, str] = field(default_factory=dict)
    max_rows: int = 0


@dataclass
class ModelConfig:
    family: str = "tfidf_logreg"
    # Validated against the family's own Params dataclass in load_config.
    params: Any = field(default_factory=dict)


@dataclass
class TrackingConfig:
    uri: str = ""
    experiment: str = "news-sentence-labels"
    registered_model: str = "news-sentence-labeler"


@dataclass
class CalibrationConfig:
    # Temperature scaling on validation: better probabilities, same labels.
    temperature: bool = True
    # Per-label prior shifts tuned for validation macro-F1 (helps rare labels; changes labels).
    label_bias: bool = False


@dataclass
class ExportConfig:
    dir: str = "models/champion"


@dataclass
class Config:
    labels: list[str]
    name: str = ""
    seed: int = 13
    primary_metric: str = "val_macro_f1"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    # Hyper-parameter search space for `make tune`: {config key: {type, low, high, log,
    # choices}}. Read and checked by train.search_space; `make train` ignores it.
    search: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- merging with provenance


def _merge(dst: dict, src: dict, origin: str, where: dict[str, str], prefix: str = "") -> None:
    """Deep-merge src into dst and remember which file set each leaf key."""
    for key, value in src.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(dst.get(key), dict) and value:
            _merge(dst[key], value, origin, where, path + ".")
        else:
            dst[key] = value
            where[path] = origin


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return data


def experiment_path(name: str, config_dir: Path = CONFIG_DIR) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    path = config_dir / "experiment" / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in (config_dir / "experiment").glob("*.yaml"))
        raise ConfigError(f"experiment '{name}': no file {path} (known: {', '.join(known)})")
    return path


def _experiment_layers(name: str, config_dir: Path, seen: tuple[str, ...] = ()) -> list:
    """The experiment file and the files it `extends`, most general first."""
    path = experiment_path(name, config_dir)
    if str(path) in seen:
        raise ConfigError(f"{path}: 'extends' loops back to itself")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    layers = _experiment_layers(parent, config_dir, (*seen, str(path))) if parent else []
    return [*layers, (str(path), data)]


def parse_override(text: str) -> tuple[str, Any]:
    """`model.params.C=2` -> ("model.params.C", 2); values are parsed as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"command line: override '{text}' is not of the form key.sub=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def _nest(key: str, value: Any) -> dict:
    out: dict = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


# ---------------------------------------------------------------- typed conversion


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _coerce(value: Any, tp: Any, key: str, where: dict[str, str]) -> Any:
    origin = typing.get_origin(tp)
    src = where.get(key) or next((v for k, v in where.items() if k.startswith(key + ".")), "")

    def fail(expected: str) -> ConfigError:
        return ConfigError(
            f"{src or 'config'}: key '{key}' must be {expected}, got {value!r} "
            f"({type(value).__name__})"
        )

    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key, where)
            except ConfigError:
                continue
        raise fail(" or ".join(_type_name(a) for a in args))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise fail("a mapping")
        return build_dataclass(tp, value, where, key + ".")
    if origin is list:
        if not isinstance(value, list):
            raise fail(f"a list of {_type_name(typing.get_args(tp)[0])}")
        (item,) = typing.get_args(tp)
        return [_coerce(v, item, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail("a mapping")
        _, vt = typing.get_args(tp)
        return {str(k): _coerce(v, vt, f"{key}.{k}", where) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise fail("a string")
        return value
    raise ConfigError(f"key '{key}': unsupported type {tp}")  # a bug in our dataclasses


def build_dataclass(cls: type, data: dict, where: dict[str, str], prefix: str = "") -> Any:
    """Instantiate `cls` from a plain dict, rejecting unknown keys and wrong types."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            src = where.get(f"{prefix}{key}") or next(
                (v for k, v in where.items() if k.startswith(f"{prefix}{key}.")), "config"
            )
            raise ConfigError(
                f"{src}: unknown key '{prefix}{key}' (known: {', '.join(sorted(names))})"
            )
    kwargs = {k: _coerce(v, hints[k], f"{prefix}{k}", where) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        raise ConfigError(f"missing key(s) {', '.join(prefix + m for m in missing)}") from exc


# ---------------------------------------------------------------- entry point


def load_config(
    experiment: str, overrides: list[str] | tuple[str, ...] = (), config_dir: Path = CONFIG_DIR
) -> Config:
    """Resolve base + experiment (+ the files it extends) + overrides into a checked Config."""
    from train.families import family_class

    where: dict[str, str] = {}
    merged: dict = {}
    base = config_dir / "base.yaml"
    _merge(merged, _read_yaml(base), str(base), where)
    for origin, layer in _experiment_layers(experiment, config_dir):
        _merge(merged, layer, origin, where)
    for text in overrides:
        key, value = parse_override(text)
        _merge(merged, _nest(key, value), f"command line ({text})", where)
    merged.setdefault("name", Path(experiment).stem)

    cfg = build_dataclass(Config, merged, where)
    if not cfg.primary_metric.startswith("val_"):
        raise ConfigError(
            f"{where.get('primary_metric', base)}: key 'primary_metric' must be a validation "
            f"metric (val_...), got '{cfg.primary_metric}': test scores never choose"
        )
    if len(set(cfg.labels)) != len(cfg.labels) or len(cfg.labels) < 2:
        raise ConfigError(f"{where.get('labels', base)}: key 'labels' needs ≥2 distinct labels")
    try:
        cls = family_class(cfg.model.family)
    except KeyError as exc:
        raise ConfigError(f"{where.get('model.family', base)}: key 'model.family': {exc}") from exc
    params = cfg.model.params if isinstance(cfg.model.params, dict) else {}
    cfg.model.params = build_dataclass(cls.Params, params, where, "model.params.")
    for key, problem in cfg.model.params.problems().items():
        full = f"model.params.{key}"
        raise ConfigError(f"{where.get(full, 'config')}: key '{full}': {problem}")
    return cfg


def default_labels(config_dir: Path = CONFIG_DIR) -> list[str]:
    """The label list of the base config: the corpus tools and checks use it too."""
    return list(_read_yaml(config_dir / "base.yaml")["labels"])
