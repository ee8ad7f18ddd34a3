"""`gc_paused` turns the cyclic collector off for its block only, and leaves it off if it was off."""

from __future__ import annotations

import gc

import pytest

from qdl.compiler.gc_paused import gc_paused


def test_paused_inside_and_back_on_after_also_on_errors() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
