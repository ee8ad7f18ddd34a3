"""The compiled adjoint's matrix work, its link to the runtime library, its cache key, and the API fast path.

The fast path (`CircuitFunction._fast_derivatives`) must give exactly what the
general path gives, and leave every call it does not take, with its errors,
to the general path.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qdl.api import CircuitFunction
from qdl.compiler.autodiff import gradient_program
from qdl.compiler.autodiff.linearize import linear_circuit
from qdl.compiler.backends.llvm import adjoint_library, library
from qdl.compiler.backends.llvm.adjoint_codegen import emit_adjoint
from qdl.compiler.backends.llvm.fill import _evaluate, derivative_form
from qdl.compiler.expr import Arg, Binary, Const, Unary
from qdl.compiler.gates import GATES
from qdl.compiler.ir import Argument, Circuit, ExpVal, GateOp, Observable, PauliTerm, Var
from qdl.errors import QdlError
from qdl.runtime.adjoint import derivative_at
from qdl.runtime.llvm import adjoint as runtime_adjoint
from qdl.runtime.llvm import jit
from qdl.runtime.llvm import library as runtime_library

EXACT = 1e-12
VERSION = adjoint_library.ADJOINT_LIBRARY_VERSION


def observable(*terms: tuple[float, str]) -> Observable:
    """observable((0.5, "Z0 X1"), ...) -> a Pauli sum."""
    return Observable(tuple(PauliTerm(c, tuple((int(p[1:]), p[0]) for p in text.split())) for c, text in terms))


MIXED = (ExpVal(observable((1.0, "Z0"))), ExpVal(observable((0.5, "X1 Y2"), (-0.3, "Z3"), (0.2, "Y0 Y3"))),
         ExpVal(observable((0.7, "X0 Z1 X2 Y3"))))



def plain(n: int, layers: int = 2, results: tuple = (ExpVal(observable((1.0, "Z0"))),)) -> Circuit:
    """RY, RZ on every qubit and a CNOT ring per layer, angles plain argument elements (the fast path's case)."""
    ops: list[GateOp] = []
    for layer in range(layers):
        for q in range(n):
            ops += [GateOp("ry", (q,), (Arg("theta", (layer, q, 0)),)), GateOp("rz", (q,), (Arg("theta", (layer, q, 1)),))]
        ops += [GateOp("cx", (q, (q + 1) % n)) for q in range(n)] if n > 1 else []
    return Circuit("plain", (Argument("theta", "float", (layers, n, 2), True),), n, tuple(ops), results,
                   returns_tuple=len(results) > 1)


def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which path each derivative call of an llvm CircuitFunction takes: "fast" or "general"."""
    taken: list[str] = []
    general = CircuitFunction._general_derivatives
    fast = CircuitFunction._fast_derivatives

    def spy_general(self, *args, **kwargs):
        if self.backend == "llvm":
            taken.append("general")
        return general(self, *args, **kwargs)

    def spy_fast(self, *args, **kwargs):
        out = fast(self, *args, **kwargs)
        if out is not None:
            taken.append("fast")
        return out

    monkeypatch.setattr(CircuitFunction, "_general_derivatives", spy_general)
    monkeypatch.setattr(CircuitFunction, "_fast_derivatives", spy_fast)
    return taken


def assert_same(got, want, tol: float = EXACT) -> None:
    """Equal nested results: same structure, same types for scalars, values within `tol`."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w, tol)
        return
    assert type(got) is type(want) and np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, atol=tol, rtol=0)


# --- the compiled matrices ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n, spec in GATES.items() if spec.num_params))
def test_derivative_forms_are_the_exact_derivatives(name: str) -> None:
    spec = GATES[name]
    thetas = [np.random.default_rng(j).uniform(-7, 7, size=16) for j in range(spec.num_params)]
    for param in range(spec.num_params):
        form = derivative_form(name, param)
        shape = tuple(sum(1 if f == 0 else 2 for f in fs) for fs in form.frequencies)
        coeffs = np.zeros(shape + (len(form.entries),), dtype=complex)
        for e, terms in enumerate(form.entries):
            for index, c in terms:
                coeffs[index + (e,)] += c
        want = derivative_at(spec, param, thetas).reshape(16, -1)
        np.testing.assert_allclose(_evaluate(coeffs, form.frequencies, thetas), want, atol=EXACT, rtol=0)


@pytest.mark.parametrize("n", (1, 2, 3, 5))
def test_small_states_match_the_numpy_adjoint_exactly(n: int) -> None:
    """1 qubit: the scalar path; 2, 3: the packed (t < 2) and wide paths; every R and U† from compiled code."""
    c = plain(n, 3, (ExpVal(observable((1.0, "Z0"), (0.5, "X" + str(n - 1)))),))
    theta = np.random.default_rng(n).uniform(-np.pi, np.pi, size=(3, n, 2))
    assert_same(CircuitFunction(c, "llvm").value_and_grad(theta),
                CircuitFunction(c, "reference").value_and_grad(theta, method="adjoint"))


# --- the runtime library and the cache -----------------------------------------------


def compiled_of(c: Circuit) -> runtime_adjoint.CompiledAdjoint:
    return runtime_adjoint.compile_adjoint(gradient_program(c), linear_circuit(c))


def test_the_adjoint_module_only_declares_the_library_functions() -> None:
    compiled = compiled_of(plain(4, 1))
    text = str(emit_adjoint(compiled.plan, compiled.matrices, len(compiled.forward.plan.slots), "t"))
    reductions = [fn.name for fn in adjoint_library.emit_adjoint_library().functions if fn.blocks]
    assert len(reductions) == 8
    for symbol in library.symbols() + reductions:
        assert f'define void @"{symbol}"' not in text
    for symbol in (library.versioned("qdl_apply_dense1"), f"qdl_reduce_apply1_mux_dense_{VERSION}"):
        assert f'declare void @"{symbol}"' in text
    assert compiled.kernel.runtime is runtime_library.runtime_library()


def test_the_adjoint_library_is_versioned_by_every_generator_of_its_ir() -> None:
    module = adjoint_library.emit_adjoint_library()
    defined = [fn for fn in module.functions if fn.blocks]  # the rest: LLVM intrinsics (ctpop)
    assert len(defined) == 8 and all(fn.name.startswith("llvm.") for fn in module.functions if not fn.blocks)
    for fn in defined:
        assert fn.name.endswith("_" + VERSION) and fn.linkage == ""
    used = {m.__name__ for m in adjoint_library.GENERATORS}
    assert {"qdl.compiler.backends.llvm.adjoint_reductions", "qdl.compiler.backends.llvm.apply",
            "qdl.compiler.backends.llvm.irbuild", adjoint_library.__name__} <= used


def test_the_adjoint_library_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second circuit's cold adjoint compiles only its own module: one LLVM compile, not two."""
    compiled_of(plain(2, 1))
    compiles = jit.STATS["llvm_compiles"]
    monkeypatch.setattr(runtime_adjoint, "_KERNELS", {})
    compiled_of(plain(2, 3))  # a new circuit: its forward kernel and its adjoint kernel
    assert jit.STATS["llvm_compiles"] == compiles + 2


def test_a_warm_start_links_the_cached_object_code(monkeypatch: pytest.MonkeyPatch) -> None:
    c = plain(4, 1)
    first = compiled_of(c)
    for table in ("_KERNELS", "_BY_VALUE", "_BY_PROGRAM"):
        monkeypatch.setattr(runtime_adjoint, table, {})
    compiles, hits = jit.STATS["llvm_compiles"], jit.STATS["disk_hits"]
    again = compiled_of(c)
    assert jit.STATS["llvm_compiles"] == compiles and jit.STATS["disk_hits"] == hits + 1
    assert again.kernel.key == first.kernel.key and again.kernel is not first.kernel
    theta = np.random.default_rng(0).uniform(-3, 3, size=(1, 1, 4, 2))
    np.testing.assert_array_equal(again.slot_derivatives({"theta": theta}, 1)[1],
                                  first.slot_derivatives({"theta": theta}, 1)[1])


def key_of(c: Circuit) -> str:
    compiled = compiled_of(c)
    return runtime_adjoint._fingerprint(compiled.plan, compiled.matrices, len(compiled.forward.plan.slots))


def test_the_key_covers_gates_observables_and_the_gate_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    base = plain(3, 1)
    other_gate = Circuit(base.name, base.arguments, 3, tuple(
        GateOp("rx", op.qubits, op.params) if op.gate == "ry" else op for op in base.ops), base.results)
    other_observable = Circuit(base.name, base.arguments, 3, base.ops, (ExpVal(observable((1.0, "X0"))),))
    keys = {key_of(base), key_of(other_gate), key_of(other_observable)}
    assert len(keys) == 3
    real = runtime_adjoint.derivative_form
    monkeypatch.setattr(runtime_adjoint, "derivative_form", lambda name, p: real("rz" if name == "ry" else name, p))
    assert key_of(base) not in keys  # a changed gate table changes the compiled matrices, so the key


# --- the API fast path ---------------------------------------------------------------


def test_the_fast_path_equals_the_general_path_and_the_numpy_adjoint(monkeypatch: pytest.MonkeyPatch) -> None:
    c = plain(6, 3, MIXED)  # three observables, returned as a tuple
    theta = np.random.default_rng(3).uniform(-np.pi, np.pi, size=(3, 6, 2))
    fast, slow = CircuitFunction(c, "llvm"), CircuitFunction(c, "reference")
    taken = calls(monkeypatch)
    got = fast.jacobian(theta)
    general = fast.jacobian(theta, wrt=["theta"])  # a wrt list: the general path, one derivative per result
    assert taken == ["fast", "general"]
    want = slow.jacobian(theta, method="adjoint")
    assert_same(got, tuple(g[0] for g in general))
    assert_same(got, want)


def test_value_and_grad_and_grad_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    c = plain(8, 2)
    theta = np.random.default_rng(8).uniform(-np.pi, np.pi, size=(2, 8, 2))
    f, ref = CircuitFunction(c, "llvm"), CircuitFunction(c, "reference")
    taken = calls(monkeypatch)
    got = f.value_and_grad(theta)
    assert_same(got, ref.value_and_grad(theta, method="adjoint"))
    assert_same(f.grad(theta, method="adjoint"), ref.grad(theta, method="adjoint"))
    assert_same(f.grad(theta, wrt="theta"), ref.grad(theta, wrt="theta", method="adjoint"))
    assert taken == ["fast", "fast", "fast"]
    theta[0, 0, 0] += 0.5  # the preallocated buffers are refilled, never stale
    assert_same(f.value_and_grad(theta), ref.value_and_grad(theta, method="adjoint"))


def test_an_identity_chain_rule_copies_the_slot_derivatives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slots that are the elements in order skip the product; the layers' angles swapped keep it."""
    c = plain(3, 2, MIXED[:1])
    swapped = Circuit("s", c.arguments, 3, tuple(GateOp(op.gate, op.qubits, tuple(
        Arg("theta", (1 - p.index[0],) + p.index[1:]) for p in op.params)) for op in c.ops), c.results)
    theta = np.random.default_rng(5).uniform(-np.pi, np.pi, size=(2, 3, 2))
    for circuit, identity in ((c, True), (swapped, False)):
        assert runtime_adjoint.Chain.of(gradient_program(circuit)).identity is identity
        taken = calls(monkeypatch)
        got = CircuitFunction(circuit, "llvm").value_and_grad(theta)
        assert taken == ["fast"]
        assert_same(got, CircuitFunction(circuit, "reference").value_and_grad(theta, method="adjoint"))
        monkeypatch.undo()


def test_several_and_scalar_param_arguments() -> None:
    """wrt=None over two `param` arguments, one of them a scalar: a tuple per result, a numpy scalar inside."""
    t = Arg("t", ())
    ops = (GateOp("ry", (0,), (t,)), GateOp("rx", (1,), (Arg("w", (1,)),)), GateOp("cx", (0, 1)),
           GateOp("rz", (1,), (Arg("w", (0,)),)), GateOp("ry", (1,), (t,)))
    c = Circuit("two", (Argument("t", "float", (), True), Argument("w", "float", (2,), True)), 2, ops,
                (ExpVal(observable((1.0, "Z1"), (0.3, "X0"))),))
    args = (np.array(0.7), np.array([0.2, -1.3]))
    got = CircuitFunction(c, "llvm").value_and_grad(*args)
    assert_same(got, CircuitFunction(c, "reference").value_and_grad(*args, method="adjoint"))
    assert type(got[1][0]) is np.float64


def scalar_circuit() -> Circuit:
    t = Arg("t", ())
    ops = (GateOp("ry", (0,), (t,)), GateOp("cx", (0, 1)), GateOp("rx", (1,), (t,)))
    result = ExpVal(observable((1.0, "Z1"), (0.4, "X0")))
    return Circuit("scalar", (Argument("t", "float", (), True),), 2, ops, (result,))


@pytest.mark.parametrize("theta", (0.7, np.float64(0.7)), ids=("float", "numpy float64"))
def test_a_float_for_a_scalar_argument_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch, theta: float) -> None:
    """An optimizer loop passes Python floats: they fill the slots as a 0-d array would, with the same results."""
    f = CircuitFunction(scalar_circuit(), "llvm")
    taken = calls(monkeypatch)
    got = f.value_and_grad(theta)
    assert taken == ["fast"]
    assert_same(got, CircuitFunction(scalar_circuit(), "reference").value_and_grad(np.array(0.7), method="adjoint"))
    assert type(got[0]) is np.float64 and type(got[1]) is np.float64


@pytest.mark.parametrize("theta", (1, True, np.float32(0.7), np.int64(1)), ids=("int", "bool", "float32", "int64"))
def test_other_scalars_take_the_general_path(monkeypatch: pytest.MonkeyPatch, theta: object) -> None:
    taken = calls(monkeypatch)
    got = CircuitFunction(scalar_circuit(), "llvm").value_and_grad(theta)
    assert taken == ["general"]
    assert_same(got, CircuitFunction(scalar_circuit(), "reference").value_and_grad(theta, method="adjoint"), 1e-9)


def test_a_float_for_an_int_argument_takes_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only `float` scalars take Python floats on the fast path; an `int` argument's checks stay the general path's."""
    c = scalar_circuit()
    c = Circuit(c.name, c.arguments + (Argument("k", "int", (), False),), c.num_qubits, c.ops, c.results)
    taken = calls(monkeypatch)
    fast, slow = CircuitFunction(c, "llvm"), CircuitFunction(c, "reference")
    try:
        want = slow.value_and_grad(0.7, 1.5, method="adjoint")
    except QdlError as exc:
        assert error_of(fast.value_and_grad, 0.7, 1.5) == (type(exc), str(exc))
    else:
        assert_same(fast.value_and_grad(0.7, 1.5), want)
    assert taken == ["general"]


def test_a_non_finite_float_raises_the_general_paths_error(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = calls(monkeypatch)
    got = error_of(CircuitFunction(scalar_circuit(), "llvm").value_and_grad, float("nan"))
    assert taken == ["general"]
    assert got == error_of(CircuitFunction(scalar_circuit(), "reference").value_and_grad, float("nan"))


FALLBACKS = {
    "batch": (lambda th: ((np.stack([th, th]),), {}), {}),
    "python list": (lambda th: ((th.tolist(),), {}), {}),
    "float32": (lambda th: ((th.astype(np.float32),), {}), {}),
    "keyword": (lambda th: ((), {"theta": th}), {}),
    "wrt list": (lambda th: ((th,), {}), {"wrt": ["theta"]}),
    "parameter shift": (lambda th: ((th,), {}), {"method": "parameter-shift"}),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_unusual_calls_take_the_general_path(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    c = plain(3, 1)
    theta = np.random.default_rng(1).uniform(-np.pi, np.pi, size=(1, 3, 2))
    make, options = FALLBACKS[case]
    args, kwargs = make(theta)
    taken = calls(monkeypatch)
    got = CircuitFunction(c, "llvm").jacobian(*args, **options, **kwargs)
    want = CircuitFunction(c, "reference").jacobian(*args, **options, **kwargs)
    assert taken == ["general"]
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), atol=1e-9, rtol=0)


def expression_circuit(angle: object, result: object) -> Circuit:
    return Circuit("e", (Argument("theta", "float", (2,), True),), 2,
                   (GateOp("ry", (0,), (angle,)), GateOp("cx", (0, 1)), GateOp("rx", (1,), (Arg("theta", (1,)),))),
                   (result,))


@pytest.mark.parametrize("kind", ("expression slot", "varying partial", "variance"))
def test_circuits_the_fast_path_leaves_alone(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    z = ExpVal(observable((1.0, "Z1")))
    c = {"expression slot": expression_circuit(Binary("*", Const(2.0), Arg("theta", (0,))), z),
         "varying partial": expression_circuit(Unary("sin", Arg("theta", (0,))), z),
         "variance": expression_circuit(Arg("theta", (0,)), Var(observable((1.0, "Z1"))))}[kind]
    theta = np.array([0.4, -0.9])
    taken = calls(monkeypatch)
    got = CircuitFunction(c, "llvm").value_and_grad(theta, method="adjoint")
    assert taken == ["general"]
    assert_same(got, CircuitFunction(c, "reference").value_and_grad(theta, method="adjoint"), 1e-9)


def error_of(fn, *args, **kwargs) -> tuple[type, str]:
    with pytest.raises(QdlError) as info:
        fn(*args, **kwargs)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("call", ("wrong shape", "unknown method", "unknown wrt", "no param", "shots"))
def test_errors_are_the_general_paths(call: str) -> None:
    c = plain(3, 1)
    if call == "no param":
        c = Circuit(c.name, (Argument("theta", "float", (1, 3, 2), False),), 3, c.ops, c.results)
    theta = np.zeros((1, 3, 2))
    cases = {"wrong shape": ((np.zeros(4),), {}), "unknown method": ((theta,), {"method": "bogus"}),
             "unknown wrt": ((theta,), {"wrt": "phi"}), "no param": ((theta,), {}),
             "shots": ((theta,), {"shots": 0, "method": "parameter-shift"})}
    args, kwargs = cases[call]
    fast, slow = CircuitFunction(c, "llvm"), CircuitFunction(c, "reference")
    assert error_of(fast.value_and_grad, *args, **kwargs) == error_of(slow.value_and_grad, *args, **kwargs)


@pytest.mark.parametrize("bad", (np.nan, np.inf))
def test_non_finite_arguments_raise_the_general_paths_error(monkeypatch: pytest.MonkeyPatch, bad: float) -> None:
    """The kernels would compute NaNs silently; the fast path sees them and lets the general path reject the call."""
    c = plain(3, 1)
    theta = np.zeros((1, 3, 2))
    theta[0, 1, 0] = bad
    taken = calls(monkeypatch)
    got = error_of(CircuitFunction(c, "llvm").value_and_grad, theta)
    assert taken == ["general"]
    assert got == error_of(CircuitFunction(c, "reference").value_and_grad, theta)
    assert "non-finite" in got[1]


def test_a_busy_fast_path_hands_over_to_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads never share the preallocated buffers: the second call goes the general way."""
    c = plain(3, 1)
    theta = np.random.default_rng(2).uniform(-3, 3, size=(1, 3, 2))
    f = CircuitFunction(c, "llvm")
    want = f.value_and_grad(theta)
    compiled = f._fast_adjoints[None]
    taken = calls(monkeypatch)
    with compiled._single_lock:
        got = f.value_and_grad(theta)
    assert taken == ["general"]
    assert_same(got, want)
    results = []
    workers = [threading.Thread(target=lambda: results.append(f.value_and_grad(theta))) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for r in results:
        assert_same(r, want)
