"""Reading `--arg NAME=VALUE` and printing results for `qdlc run` and `qdlc grad`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qdl.compiler.ir import Circuit, ExpVal, Probs, Result, Sample, Var
from qdl.compiler.ir_text import format_observable
from qdl.errors import ArgumentError


def parse_arg(text: str) -> tuple[str, object]:
    """`theta=0.5`, `x=[1, 2]`, `w=@weights.npy` or `w=@weights.json`."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ArgumentError(f"--arg `{text}`: write NAME=VALUE, e.g. --arg theta=0.5")
    value = value.strip()
    if value.startswith("@"):
        return name, _load_file(name, value[1:])
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        pass
    try:
        return name, float(value)  # also accepts nan, inf
    except ValueError:
        raise ArgumentError(f"--arg {name}: cannot read `{value}` as a number or a JSON list; "
                            "write e.g. 0.5, [0.1, 0.2] or @values.npy") from None


def _load_file(name: str, path: str) -> object:
    file = Path(path)
    if not file.is_file():
        raise ArgumentError(f"--arg {name}: no such file `{path}`")
    try:
        if file.suffix == ".npy":
            try:
                return np.load(file, allow_pickle=False)
            except ValueError:
                raise ArgumentError(f"--arg {name}: `{path}` is not a NumPy .npy file of numbers") from None
        if file.suffix == ".json":
            return json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ArgumentError(f"--arg {name}: cannot read `{path}`: {exc}") from None
    raise ArgumentError(f"--arg {name}: `{path}` is neither .npy nor .json")


MAX_LABEL = 60  # a longer observable is named by its size on a terminal line


def result_label(result: Result, full: bool = False) -> str:
    """A short name for a result: `expval(0.5 * Z0 Z1)`, `probs(0, 1)`, `state`.

    A long observable reads `expval(<15 Pauli terms>)` unless `full`.
    """
    if isinstance(result, (ExpVal, Var)):
        kind = "expval" if isinstance(result, ExpVal) else "var"
        text = format_observable(result.observable)
        if len(text) > MAX_LABEL and not full:
            text = f"<{len(result.observable.terms)} Pauli terms>"
        return f"{kind}({text})"
    if isinstance(result, (Probs, Sample)):
        kind = "probs" if isinstance(result, Probs) else "sample"
        return f"{kind}({', '.join(map(str, result.qubits))})"
    return "state"


def format_results(circuit: Circuit, values: object, style: str) -> str:
    results = circuit.results
    items = values if circuit.returns_tuple else (values,)
    if style == "json":
        payload = {"circuit": circuit.name,
                   "results": [{"kind": result_label(r).split("(")[0], "label": result_label(r, full=True),
                                "value": _jsonable(v)} for r, v in zip(results, items)]}
        return json.dumps(payload, indent=2)
    return "\n".join(f"{result_label(r)}: {_text(v)}" for r, v in zip(results, items))


def _jsonable(value: object) -> object:
    array = np.asarray(value)
    if np.iscomplexobj(array):
        return {"real": array.real.tolist(), "imag": array.imag.tolist()}
    return array.tolist()


def _text(value: object) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return repr(float(array.real)) if not np.iscomplexobj(array) else str(complex(array))
    with np.printoptions(precision=10, suppress=True, linewidth=100, threshold=64):
        return np.array2string(array, separator=", ")


def gradient_stats(program) -> str:
    """What one gradient costs, for `qdlc grad --stats`."""
    return (f"gradient of `{program.circuit.name}`: {program.evaluations} circuit evaluations "
            f"(1 unshifted + {program.shifted_evaluations} shifted), {len(program.slots)} angle slot(s), "
            f"{len(program.pruned)} pruned")


def format_jacobian(circuit, jac, wrt: tuple[str, ...], out_format: str, batched: bool) -> str:
    """Values and derivatives per result; `[0]` drops the batch axis of an unbatched call."""
    first = slice(None) if batched else 0
    errors = jac.standard_errors or [None] * len(jac.values)
    rows = [(r, v[first], {n: d[n][first] for n in wrt}, e and {n: e[n][first] for n in wrt})
            for r, v, d, e in zip(circuit.results, jac.values, jac.derivatives, errors)]
    if out_format == "json":
        payload = {"circuit": circuit.name, "method": jac.method, "evaluations": jac.evaluations,
                   "results": [{"label": result_label(r, full=True), "value": _jsonable(v),
                                "gradient": {n: _jsonable(d[n]) for n in wrt},
                                **({"standard_error": {n: _jsonable(e[n]) for n in wrt}} if e else {})}
                               for r, v, d, e in rows]}
        return json.dumps(payload, indent=2)
    lines = []
    for r, v, d, e in rows:
        lines.append(f"{result_label(r)}: {_text(v)}")
        lines += [f"  d/d {n}: {_text(d[n])}" + (f"  (standard error {_text(e[n])})" if e else "") for n in wrt]
    return "\n".join(lines)
