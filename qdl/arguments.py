"""Binding Python call arguments to a circuit's signature, with batching.

A value has the argument's declared shape, or a leading batch axis in front
of it.  All batched values must share the batch size; unbatched values are
broadcast.  Messages name the circuit, the argument and the expected shape.
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping, Sequence

import numpy as np

from qdl.compiler.ir import BOOL, FLOAT, INT, Argument, Circuit
from qdl.errors import ArgumentError


def signature_text(argument: Argument) -> str:
    """`param w: float[2, 3]` as written in the source."""
    shape = f"[{', '.join(map(str, argument.shape))}]" if argument.shape else ""
    return f"{'param ' if argument.trainable else ''}{argument.name}: {argument.dtype}{shape}"


def bind(circuit: Circuit, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int | None]:
    """Map call arguments to arrays of shape (B,) + shape; B is None when unbatched."""
    values = _match_names(circuit, args, kwargs)
    arrays = {a.name: _convert(circuit, a, values[a.name]) for a in circuit.arguments}
    batch = _batch_size(circuit, arrays)
    bound = {}
    for argument in circuit.arguments:
        array = arrays[argument.name]
        if array.ndim == len(argument.shape):
            array = np.broadcast_to(array, (1 if batch is None else batch,) + argument.shape)
        bound[argument.name] = array
    return bound, batch


def _match_names(circuit: Circuit, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    names = [a.name for a in circuit.arguments]
    if len(args) > len(names):
        raise ArgumentError(f"circuit `{circuit.name}` takes {len(names)} argument(s) "
                            f"but {len(args)} were given positionally")
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else \
                f"; its arguments are: {', '.join(names) or '(none)'}"
            raise ArgumentError(f"circuit `{circuit.name}` has no argument `{name}`{hint}")
        if name in values:
            raise ArgumentError(f"argument `{name}` of circuit `{circuit.name}` was given twice")
        values[name] = value
    missing = [a for a in circuit.arguments if a.name not in values]
    if missing:
        listed = ", ".join(f"`{signature_text(a)}`" for a in missing)
        raise ArgumentError(f"circuit `{circuit.name}` is missing argument(s) {listed}")
    return values


def _convert(circuit: Circuit, argument: Argument, value: Any) -> np.ndarray:
    where = f"argument `{argument.name}` of circuit `{circuit.name}`"
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        raise ArgumentError(f"{where} is not a rectangular array of numbers "
                            "(its rows have different lengths)") from None
    if array.dtype.kind not in "biuf":
        raise ArgumentError(f"{where} expects {argument.dtype} values, got {_kind(array)}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)].flat[0]
        raise ArgumentError(f"{where} has a non-finite value ({bad}); angles must be finite numbers")
    if argument.dtype == FLOAT:
        return array.astype(np.float64)
    if argument.dtype == INT:
        if array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0):
            raise ArgumentError(f"{where} expects integers, got non-integer values")
        return array.astype(np.int64)
    if argument.dtype == BOOL and array.dtype.kind != "b" and not np.all(np.isin(array, (0, 1))):
        raise ArgumentError(f"{where} expects booleans, got other values")
    return array.astype(bool)


def _kind(array: np.ndarray) -> str:
    return {"U": "text", "S": "bytes", "O": "objects", "c": "complex numbers"}.get(array.dtype.kind, str(array.dtype))


def _batch_size(circuit: Circuit, arrays: dict[str, np.ndarray]) -> int | None:
    batch: int | None = None
    first = ""
    for argument in circuit.arguments:
        array = arrays[argument.name]
        shape = tuple(argument.shape)
        if array.shape == shape:
            continue
        if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
            raise ArgumentError(_shape_message(circuit, argument, array.shape))
        if batch is not None and array.shape[0] != batch:
            raise ArgumentError(f"batch sizes differ: `{first}` has {batch} rows but "
                                f"`{argument.name}` has {array.shape[0]} (circuit `{circuit.name}`)")
        batch, first = array.shape[0], argument.name
    return batch


def _shape_message(circuit: Circuit, argument: Argument, got: tuple[int, ...]) -> str:
    want = tuple(argument.shape)
    batched = "(B, " + ", ".join(map(str, want)) + ")" if want else "(B,)"
    return (f"argument `{argument.name}` of circuit `{circuit.name}` expects shape {want} "
            f"(or a batch {batched}), got {tuple(got)}")
