"""Deep expressions compile: a sum of thousands of Pauli terms (a molecular Hamiltonian's size) nests that deep."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import qdl
from qdl.compiler.deep_stack import paused_gc, run_deep


def test_a_hamiltonian_of_three_thousand_terms_compiles_and_evaluates():
    coefficients = np.random.default_rng(7).uniform(-1, 1, 3000)
    terms = " + ".join(f"{float(c)!r} * Z[{i % 3}] Z[{(i + 1) % 3}]" for i, c in enumerate(coefficients))
    source = f"circuit f() -> float {{ qubit q[3]; x q[0]; return expval({terms}); }}"
    value = qdl.compile(source).f()
    signs = {0: -1.0, 1: 1.0, 2: -1.0}  # <Z0 Z1>, <Z1 Z2>, <Z2 Z0> on |001>
    assert value == pytest.approx(sum(c * signs[i % 3] for i, c in enumerate(coefficients)), abs=1e-9)


def test_run_deep_returns_values_and_reraises_on_the_caller():
    assert run_deep(lambda a, b=1: a + b, 2, b=3) == 5
    with pytest.raises(KeyError, match="lost"):
        run_deep(lambda: {}["lost"])


def test_run_deep_recurses_past_the_default_limit_and_nests():
    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)
    assert run_deep(depth, 20_000) == 20_000
    assert run_deep(lambda: run_deep(threading.current_thread)) is not threading.main_thread()


def test_the_raised_recursion_limit_is_given_back():
    """The main thread keeps its limit: its own runaway recursion still stops with a RecursionError."""
    before = sys.getrecursionlimit()
    assert run_deep(sys.getrecursionlimit) > before
    assert sys.getrecursionlimit() == before


def test_the_collector_is_paused_while_a_stage_runs_and_restored_after():
    import gc
    assert gc.isenabled()
    assert run_deep(gc.isenabled) is False
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off():
    import gc
    gc.disable()
    try:
        run_deep(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_pause_made_is_old_and_its_cycles_are_still_freed():
    import gc
    import weakref

    class Node:
        pass

    with paused_gc():
        kept, cycle = Node(), Node()
        cycle.me = cycle
    probe = weakref.ref(cycle)
    del cycle
    assert any(o is kept for o in gc.get_objects(generation=2))  # young collections will not walk it
    gc.collect()
    assert probe() is None
