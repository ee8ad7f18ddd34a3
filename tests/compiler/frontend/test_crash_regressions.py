"""Inputs that crash or hang the front end, found by the fuzzer and by review (minimal forms).

All of them are fixed; each stays as a regression test, its note saying what
used to go wrong.  "Pass" means the invariants of `frontend_invariants.check_compiles_cleanly`:
no exception, no hang (2 s), spans inside the source, output renders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from frontend_invariants import check_compiles_cleanly, memory_cap


def one_gate(angle: str) -> str:
    return f"circuit f() {{ qubit q; rx({angle}) q; return probs(); }}"


CRASHES = {
    # Python ints are unbounded; converting a huge one to float raises.
    "huge int as a gate angle": (one_gate("2 ** 1024"), "OverflowError in GateCalls._angle: float(int)"),
    "huge int in a math function": (one_gate("sin(2 ** 1024)"), "OverflowError: np.float64(int) in _apply_math"),
    "huge int as an observable weight": (
        "circuit f() { qubit q; h q; return expval(2 ** 1024 * Z[0]); }",
        "OverflowError: complex(int) in PauliSum.constant"),
    "floor of infinity": (one_gate("floor(1e400)"), "OverflowError: int(inf) in the INTEGER_FUNCTIONS branch"),
    "round of a huge int": (one_gate("round(2 ** 1024)"), "OverflowError: float(int) in constant_number"),
    # Sizes and counts are used before they are checked against any limit.
    "huge range bound": ("circuit f() { qubit q; for i in 0..10 ** 30 { } h q; return probs(); }",
                         "OverflowError: list(range(...)) in Evaluator.iterate"),
    "huge range in sum": ("circuit f() { qubit q; h q; return expval(sum(i in 0..10 ** 30: Z[0])); }",
                          "OverflowError: list(range(...)) in Evaluator.iterate"),
    "long empty loop": ("circuit f() { qubit q; for i in 0..10 ** 12 { } h q; return probs(); }",
                        "MemoryError (list of 10**12 ints); iterations of an empty body never meet the op budget"),
    "huge pow exponent": ("circuit f() { qubit q; pow(2 ** 100) @ x q; return probs(); }",
                          "OverflowError: ops * int(k) in GateCalls._power, before the op budget"),
    "large pow exponent": ("circuit f() { qubit q; pow(1000000000) @ x q; return probs(); }",
                           "MemoryError: a list of 10**9 ops is built before the op budget is checked"),
    "huge argument dimension": ("circuit f(x: float[2 ** 70]) { qubit q; h q; return probs(); }",
                                "ValueError: np.empty(shape) in circuits._argument_value"),
    "large argument array": ("circuit f(x: float[100000, 100000]) { qubit q; h q; return probs(); }",
                             "MemoryError: one Arg object per element (10**10) in circuits._argument_value"),
    # Unbounded compile-time arithmetic.
    "tower of powers": ("const K = 10 ** 10 ** 10; circuit f() { qubit q; h q; return probs(); }",
                        "hang: the exact integer 10**(10**10) is computed"),
    "array of huge powers": ("const K = [10 ** 30] ** [10 ** 30]; circuit f() { qubit q; h q; return probs(); }",
                             "hang: object-array power of Python ints"),
    # numpy semantics leaking through.
    "negated bool array": ("const A = -[true]; circuit f() { qubit q; h q; return probs(); }",
                           "TypeError: numpy boolean negative in Evaluator._eval_UnaryOp"),
}


@pytest.fixture(autouse=True, scope="module")
def _memory_cap():
    with memory_cap():
        yield


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, (text, _was) in CRASHES.items()])
def test_does_not_crash(text: str, tmp_path: Path) -> None:
    check_compiles_cleanly(text, tmp_path)


SILENTLY_ACCEPTED = {
    # These compile, but produce infinite angles or weights that no back end can use.
    "infinite angle literal": one_gate("1e400"),
    "infinite observable weight": "circuit f() { qubit q; h q; return expval(1e400 * Z[0]); }",
    "infinite weight by division": "circuit f() { qubit q; h q; return expval(Z[0] / 1e-320); }",
    "infinite array element": "const A = 2 ** [1e400]; circuit f() { qubit q; rx(A[0]) q; return probs(); }",
    # A bool argument is not an angle (E0205 expected).
    "bool argument as an angle": "circuit f(b: bool) { qubit q; rx(b) q; return probs(); }",
}


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text in SILENTLY_ACCEPTED.items()])
def test_is_rejected(text: str, tmp_path: Path) -> None:
    result = check_compiles_cleanly(text, tmp_path)
    assert not result.ok, "expected an error (E0217 for non-finite values, E0205 for types)"
