"""IR modules survive pickling (the program cache stores them), including pickles of the older layout.

`data/ir_module_dataclass_layout.pickle` is `sample_module()` pickled by the
dataclasses' default path (NEWOBJ + BUILD with a list of field values), as
every program cache entry written before the IR classes had `__reduce__`:
such entries must keep loading.
"""

from __future__ import annotations

import pickle
import pickletools
from pathlib import Path

from qdl.compiler.diagnostics import Span
from qdl.compiler.expr import Arg, Binary, Const, Unary
from qdl.compiler.ir import (
    Argument, BarrierOp, Circuit, Condition, ExpVal, GateOp, MeasureOp, Module, Observable, PauliTerm, Probs,
    Register, ResetOp, Sample, State, Var,
)

OLD_PICKLE = Path(__file__).parent / "data" / "ir_module_dataclass_layout.pickle"


def _span(start: int) -> Span:
    return Span("sample.qdl", start, start + 3)


def sample_module() -> Module:
    """Two circuits with every op, result, expression and register kind; most nodes with a span."""
    theta = Arg("theta", (1,))
    angle = Binary("+", Unary("sin", theta), Const(0.5))
    ops = (
        GateOp("rx", (0,), (angle,), span=_span(10)),
        GateOp("x", (1,), (), (0, 2), (True, False), span=_span(20)),
        GateOp("cx", (0, 2), condition=Condition((0, 1), 2), span=_span(30)),
        MeasureOp(1, 0, span=_span(40)),
        ResetOp(2, span=_span(50)),
        BarrierOp((0, 1, 2), span=_span(60)),
        GateOp("u3", (2,), (theta, Const(-1.25), Arg("phi")), span=None),
    )
    observable = Observable((PauliTerm(0.5, ((0, "Z"), (2, "X"))), PauliTerm(-1.0)))
    results = (ExpVal(observable, span=_span(70)), Var(observable, span=_span(80)),
               Probs((0, 1), span=_span(90)), Sample((2,), span=_span(100)))
    arguments = (Argument("theta", "float", (3,), True, span=_span(1)), Argument("phi", "float", span=_span(4)),
                 Argument("n", "int"))
    first = Circuit("first", arguments, 3, ops, results, True, 2, (Register("q", 0, 3),), (Register("c", 0, 2),),
                    span=_span(0))
    second = Circuit("second", (), 1, (), (State(span=_span(120)),), span=_span(110))
    return Module((first, second))


def _nodes(value: object) -> list[object]:
    """Every IR, expression and span node under `value`, depth first (spans count: equality ignores them)."""
    if isinstance(value, tuple):
        return [n for item in value for n in _nodes(item)]
    if not hasattr(value, "__dataclass_fields__"):
        return []
    children = [n for name in value.__dataclass_fields__ for n in _nodes(getattr(value, name))]
    return [value] + children


def _same(a: object, b: object) -> bool:
    """Equal node by node with every field compared, spans included, and of the same classes."""
    left, right = _nodes(a), _nodes(b)
    return len(left) == len(right) and all(
        type(x) is type(y) and all(getattr(x, f) == getattr(y, f) for f in x.__dataclass_fields__)
        for x, y in zip(left, right))


def test_round_trip_keeps_every_field_and_span() -> None:
    module = sample_module()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(module, protocol=protocol))
        assert copy == module and _same(copy, module)


def test_same_compares_spans() -> None:
    module = sample_module()
    moved = Module((module.circuits[0], Circuit("second", (), 1, (), (State(span=_span(7)),), span=_span(110))))
    assert moved == module and not _same(moved, module)


def test_pickles_of_the_dataclass_layout_still_load() -> None:
    blob = OLD_PICKLE.read_bytes()
    assert "BUILD" in {op.name for op, _, _ in pickletools.genops(blob)}  # really the old layout
    assert _same(pickle.loads(blob), sample_module())


def test_new_pickles_are_smaller_than_the_dataclass_layout() -> None:
    blob = pickle.dumps(sample_module(), protocol=pickle.HIGHEST_PROTOCOL)
    assert "BUILD" not in {op.name for op, _, _ in pickletools.genops(blob)}
    assert len(blob) < len(OLD_PICKLE.read_bytes())
