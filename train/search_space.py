"""The hyper-parameter search space of an experiment: its `search:` section, typed and checked.

    from train.search_space import load_search_space
    space = load_search_space("tfidf_logreg")          # -> SearchSpace, or SearchSpaceError

In the experiment YAML (a file that `extends` another inherits its entries; an entry for the
same key replaces the inherited one whole, and `key: null` drops it):

    search:
      model.params.C: {type: float, low: 0.5, high: 32, log: true}
      model.params.word_ngram_max: {type: int, low: 1, high: 3}
      model.params.class_weight: {type: categorical, choices: [balanced, none]}

Each key is a config key (as on the command line); each sampled value is applied as an override
`key=value` and goes through the same validation as any config, so a value the family rejects
is reported here, before any trial, naming the key and the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from train.config import (
    CONFIG_DIR,
    ConfigError,
    _experiment_layers,  # the same files, in the same order, as load_config reads
    build_dataclass,
    load_config,
)

TYPES = ("float", "int", "categorical")
# Keys a trial must not change: they decide what is compared, where, and under which name.
FIXED = ("name", "labels", "primary_metric", "search")
FIXED_PREFIXES = ("tracking.", "export.", "search.")


class SearchSpaceError(ConfigError):
    """A problem in a `search:` section; it names the key and the file."""


@dataclass
class _Spec:
    """One entry as written in YAML, before the checks that need more than a type."""

    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[Any] | None = None


@dataclass(frozen=True)
class Param:
    key: str
    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    origin: str = ""

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for this parameter's value."""
        if self.type == "categorical":
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.type == "int":
            step = int(self.step or 1)
            return trial.suggest_int(
                self.key, int(self.low), int(self.high), step=step, log=self.log
            )
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def spec(self) -> dict[str, Any]:
        """The entry as it would be written in YAML."""
        if self.type == "categorical":
            return {"type": self.type, "choices": list(self.choices)}
        out: dict[str, Any] = {"type": self.type, "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = self.step
        return out

    def extremes(self) -> list[Any]:
        """The values that, if accepted by the config, make every sampled value acceptable
        (categorical choices are checked one by one)."""
        if self.type == "categorical":
            return list(self.choices)
        cast = int if self.type == "int" else float
        return [cast(self.low), cast(self.high)]


@dataclass(frozen=True)
class SearchSpace:
    experiment: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def suggest(self, trial: Any) -> dict[str, Any]:
        return {p.key: p.suggest(trial) for p in self.params}


def override(key: str, value: Any) -> str:
    """`key=value` text that the config's YAML override parser reads back as the same value
    (strings quoted, so `no` or `1e-5` stay strings; floats always with a decimal point)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if exponent and "." not in mantissa:
            text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        raise SearchSpaceError(f"search '{key}': unsupported value {value!r}")
    return f"{key}={text}"


def _leaves(data: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out |= _leaves(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def _check(key: str, spec: _Spec, src: str) -> None:
    def fail(problem: str) -> SearchSpaceError:
        return SearchSpaceError(f"{src}: key 'search.{key}': {problem}")

    if spec.type not in TYPES:
        raise fail(f"type must be one of {', '.join(TYPES)}, got '{spec.type}'")
    if spec.type == "categorical":
        if not spec.choices:
            raise fail("a categorical parameter needs a non-empty 'choices' list")
        if spec.low is not None or spec.high is not None or spec.log or spec.step is not None:
            raise fail("a categorical parameter takes 'choices' only (no low/high/log/step)")
        if len({repr(c) for c in spec.choices}) != len(spec.choices):
            raise fail("'choices' has duplicates")
        return
    if spec.choices is not None:
        raise fail(f"'choices' is for categorical parameters, not {spec.type}")
    if spec.low is None or spec.high is None:
        raise fail(f"a {spec.type} parameter needs 'low' and 'high'")
    if not all(math.isfinite(v) for v in (spec.low, spec.high)) or spec.low >= spec.high:
        raise fail(f"needs finite low < high, got low={spec.low}, high={spec.high}")
    if spec.log and spec.low <= 0:
        raise fail("log: true needs low > 0")
    if spec.log and spec.step is not None:
        raise fail("'step' and 'log: true' cannot be combined")
    if spec.type == "int":
        values = [spec.low, spec.high] + ([spec.step] if spec.step is not None else [])
        if any(float(v) != int(v) for v in values):
            raise fail("an int parameter needs whole-number low, high and step")
    if spec.step is not None and spec.step <= 0:
        raise fail("'step' must be > 0")


def load_search_space(
    experiment: str, overrides: list[str] | tuple[str, ...] = (), config_dir: Path = CONFIG_DIR
) -> SearchSpace:
    """Read and check the merged `search:` section of an experiment (and what it extends)."""
    where: dict[str, str] = {}
    space: dict[str, Any] = {}
    for origin, layer in _experiment_layers(experiment, config_dir):
        section = layer.get("search")
        if section is None:
            continue
        if not isinstance(section, dict):
            raise SearchSpaceError(f"{origin}: key 'search' must be a mapping of config keys")
        # A later file replaces a parameter's whole entry (`key: null` drops it): merging
        # a categorical entry into an inherited float one would mix their fields.
        for key, spec in section.items():
            space.pop(key, None)
            if spec is not None:
                space[key] = spec
                where[f"search.{key}"] = origin
                for name in spec if isinstance(spec, dict) else ():
                    where[f"search.{key}.{name}"] = origin
    if not space:
        raise SearchSpaceError(
            f"experiment '{experiment}': no 'search:' section to tune "
            f"(e.g. search: {{model.params.C: {{type: float, low: 0.5, high: 32, log: true}}}})"
        )

    base = load_config(experiment, overrides, config_dir)
    known = _leaves(base.to_dict())
    params = []
    for key, raw in space.items():
        src = where[f"search.{key}"]
        if key in FIXED or key.startswith(FIXED_PREFIXES):
            raise SearchSpaceError(f"{src}: key 'search.{key}': '{key}' cannot be searched")
        if key not in known:
            hint = sorted(k for k in known if k.startswith("model.params."))
            raise SearchSpaceError(
                f"{src}: unknown key 'search.{key}': not a config key "
                f"(model parameters here: {', '.join(hint)})"
            )
        if not isinstance(raw, dict):
            raise SearchSpaceError(
                f"{src}: key 'search.{key}' must be a mapping like {{type: float, low: 0.1, "
                f"high: 10}}, got {raw!r}"
            )
        if "type" not in raw:
            raise SearchSpaceError(f"{src}: key 'search.{key}' needs a type ({', '.join(TYPES)})")
        try:
            spec = build_dataclass(_Spec, raw, where, f"search.{key}.")
        except SearchSpaceError:
            raise
        except ConfigError as exc:
            raise SearchSpaceError(str(exc)) from exc
        _check(key, spec, src)
        param = Param(
            key, spec.type, spec.low, spec.high, spec.log, spec.step,
            tuple(spec.choices or ()), src,
        )  # fmt: skip
        for value in param.extremes():
            try:
                load_config(experiment, [*overrides, override(key, value)], config_dir)
            except ConfigError as exc:
                raise SearchSpaceError(
                    f"{src}: key 'search.{key}': the value {value!r} is not a valid '{key}': {exc}"
                ) from exc
        params.append(param)
    return SearchSpace(experiment, tuple(params))
