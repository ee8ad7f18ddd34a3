"""The compiled reduction of final states against `reference_results.results`: random results, chunks, IR size."""

from __future__ import annotations

import ctypes
import itertools

import numpy as np
import pytest
from llvmlite import ir

from qdl.compiler.backends.llvm.reduce import emit_reduce
from qdl.compiler.backends.llvm.results_layout import HOST, SAMPLE, ReductionLayout
from qdl.compiler.ir import Circuit, ExpVal, Observable, PauliTerm, Probs, Result, Sample, State, Var
from qdl.runtime.reference_results import results as reference_reduction
from qdl.runtime.llvm import jit

TOL = 1e-12
REDUCE_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
_NAMES = itertools.count()


class CompiledReduction:
    """One layout's reduction, JIT-compiled alone; `tracker` keeps the code alive."""

    def __init__(self, results: tuple[Result, ...], num_qubits: int) -> None:
        self.layout = ReductionLayout.of(Circuit("c", (), num_qubits, (), results))
        name = f"qdl_reduce_test_{next(_NAMES)}"
        module = ir.Module(name=name)
        emit_reduce(module, self.layout, num_qubits, name)
        text = str(module)
        address, self.tracker = jit.link(jit.compile_object(text), name, jit.cache_key(text))
        self.fn = REDUCE_PROTO(address)

    def __call__(self, states: np.ndarray) -> tuple[np.ndarray | None, ...]:
        batch = states.shape[0]
        out = np.full((batch, self.layout.width), np.nan)
        self.fn(states.ctypes.data, batch, out.ctypes.data)
        return self.layout.unpack(out, states, batch)


def reference_results(results: tuple[Result, ...], states: np.ndarray) -> tuple[np.ndarray, ...]:
    batch, dim = states.shape
    n = dim.bit_length() - 1
    circuit = Circuit("c", (), n, (), results)
    psi = states.reshape((batch,) + (2,) * n)
    return reference_reduction(circuit, [(np.ones(batch), psi)], None, np.random.default_rng(0))


def random_states(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    psi = rng.normal(size=(batch, 2**n)) + 1j * rng.normal(size=(batch, 2**n))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


def random_term(rng: np.random.Generator, n: int, canonical: bool = True) -> PauliTerm:
    """A Pauli string on a random subset (identity when empty); non-canonical: unsorted, repeated qubits."""
    if canonical:
        qubits = sorted(rng.choice(n, size=rng.integers(0, n + 1), replace=False))
    else:
        qubits = list(rng.integers(0, n, size=rng.integers(1, 2 * n + 1)))
    return PauliTerm(float(rng.normal()), tuple((int(q), str(rng.choice(list("XYZ")))) for q in qubits))


def random_observable(rng: np.random.Generator, n: int, terms: int, canonical: bool = True) -> Observable:
    return Observable(tuple(random_term(rng, n, canonical) for _ in range(terms)))


def random_results(rng: np.random.Generator, n: int) -> tuple[Result, ...]:
    results: list[Result] = [State()]
    for _ in range(3):
        results.append(ExpVal(random_observable(rng, n, int(rng.integers(1, 12)))))
        results.append(Var(random_observable(rng, n, int(rng.integers(1, 8)))))
        subset = rng.permutation(n)[: rng.integers(0, n + 1)]
        results.append(Probs(tuple(int(q) for q in subset)))
    results.append(ExpVal(random_observable(rng, n, 4, canonical=False)))
    results.append(Var(random_observable(rng, n, 4, canonical=False)))
    return tuple(rng.permutation(np.array(results, dtype=object)))


def assert_reduction_matches(results: tuple[Result, ...], n: int, rng: np.random.Generator,
                             batches: tuple[int, ...] = (1, 3)) -> None:
    compiled = CompiledReduction(results, n)
    for batch in batches:
        states = random_states(rng, batch, n)
        got, want = compiled(states), reference_results(results, states)
        assert len(got) == len(want)
        for result, g, w in zip(results, got, want):
            assert g is not None, result
            assert (g.shape, g.dtype) == (w.shape, w.dtype), result
            np.testing.assert_allclose(g, w, rtol=0, atol=TOL, err_msg=repr(result))


# --- agreement with the reference ------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 9))
def test_random_results_match_the_reference(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    assert_reduction_matches(random_results(rng, n), n, rng)


def test_every_one_and_two_letter_string() -> None:
    n = 3
    letters = [((q, p),) for q in range(n) for p in "XYZ"]
    pairs = [a + b for a, b in itertools.product(letters, letters) if a[0][0] < b[0][0]]
    results = tuple(ExpVal(Observable((PauliTerm(1.0, paulis),))) for paulis in letters + pairs)
    assert_reduction_matches(results, n, np.random.default_rng(3))


def test_probs_in_every_order() -> None:
    n = 4
    orders = [p for k in range(n + 1) for p in itertools.permutations(range(n), k)]
    assert_reduction_matches(tuple(Probs(order) for order in orders), n, np.random.default_rng(4), (2,))


def test_states_larger_than_a_chunk() -> None:
    """13 qubits = 4 chunks: strings whose X/Y reach above the chunk read their partner chunk."""
    n = 13
    rng = np.random.default_rng(13)
    high = Observable((PauliTerm(0.8, ((3, "X"), (12, "Y"))), PauliTerm(-0.4, ((11, "X"), (12, "Z"))),
                       PauliTerm(0.25, ((0, "Y"), (7, "Z"), (11, "Y"))), PauliTerm(1.5, ())))
    results = (ExpVal(high), Var(high), Probs((12, 0, 11)), Probs(tuple(range(n))),
               ExpVal(random_observable(rng, n, 6)), Var(random_observable(rng, n, 5)))
    assert_reduction_matches(results, n, rng, (2,))


def test_strings_sharing_their_x_across_chunks() -> None:
    """Groups of one x: diagonal (x = 0), gathered (X on qubit 0), in runs, and reaching above the chunk."""
    n = 13
    rng = np.random.default_rng(14)
    results = tuple(ExpVal(Observable(tuple(PauliTerm(float(rng.normal()), tuple(sorted({(q, letter), (z, "Z")})))
                                            for z in range(n) if z != q)))
                    for q, letter in ((0, "Z"), (0, "X"), (5, "Y"), (12, "X"), (11, "Y")))
    assert_reduction_matches(results, n, rng, (2,))


def test_zero_qubits() -> None:
    results = (ExpVal(Observable((PauliTerm(2.0, ()),))), Probs(()), State())
    assert_reduction_matches(results, 0, np.random.default_rng(15))


def test_empty_and_state_only_layouts() -> None:
    rng = np.random.default_rng(5)
    assert_reduction_matches((ExpVal(Observable(())), Var(Observable(())), State()), 2, rng)
    assert_reduction_matches((), 2, rng)


# --- what stays on the host --------------------------------------------------------------


def test_samples_are_drawn_after_the_reduction_and_repeated_probs_stay_on_the_host() -> None:
    results = (Sample((0, 1)), ExpVal(Observable((PauliTerm(1.0, ((0, "Z"),)),))), Probs((1, 1)))
    compiled = CompiledReduction(results, 2)
    assert compiled.layout.host == (2,) and compiled.layout.slots[0].kind == SAMPLE  # the compiled sampler's
    got = compiled(random_states(np.random.default_rng(6), 2, 2))
    assert got[0] is None and got[2] is None and got[1].shape == (2,)


def test_var_of_a_long_sum_stays_on_the_host() -> None:
    rng = np.random.default_rng(7)
    layout = ReductionLayout.of(Circuit("c", (), 12, (), (Var(random_observable(rng, 12, 1000)),)))
    assert layout.slots[0].kind == HOST


# --- IR size ------------------------------------------------------------------------------


def _code_size(results: tuple[Result, ...], n: int) -> tuple[int, int]:
    """(instructions of all functions, characters of the whole module); table lengths only change constants."""
    module = ir.Module(name="size")
    emit_reduce(module, ReductionLayout.of(Circuit("c", (), n, (), results)), n, "qdl_reduce_size")
    return sum(len(block.instructions) for fn in module.functions for block in fn.blocks), len(str(module))


def test_ir_size_is_bounded_by_tables() -> None:
    rng = np.random.default_rng(8)
    small_code, _ = _code_size((ExpVal(random_observable(rng, 16, 10)), Var(random_observable(rng, 16, 10))), 16)
    large_code, large_module = _code_size((ExpVal(random_observable(rng, 16, 1000)),
                                           Var(random_observable(rng, 16, 40))), 16)
    assert large_code == small_code
    assert large_module < 200_000  # tables: ~1000 strings + ~800 H†H strings, a few tens of bytes each
