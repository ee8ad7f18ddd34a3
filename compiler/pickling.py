"""Compact pickles for the frozen node classes the program cache stores (IR, expressions, spans).

A `slots=True` dataclass pickles through the `__getstate__`/`__setstate__`
pair that `dataclasses` writes in Python, called once per node: for a
100,000-op program that per-node Python call is most of `pickle.dumps`.
`fields_pickled` gives a class a `__reduce__` that returns the class and its
field values instead; the C pickler then stores one tuple per node (smaller)
and unpickling calls the constructor.  Pickles of the old layout still load:
the class keeps the dataclass `__setstate__` that they call.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any, Callable, TypeVar

T = TypeVar("T", bound=type)


def fields_pickled(cls: T) -> T:
    """Class decorator: pickle instances of the dataclass `cls` as `cls(*field values)`.

    For classes whose fields are all `__init__` arguments, in order, and that
    are not subclassed with fields of their own (the subclass would pickle
    as `cls`).
    """
    names = [f.name for f in fields(cls)]
    if not names or any(not f.init for f in fields(cls)):
        raise TypeError(f"{cls.__name__}: fields_pickled needs at least one field, all of them init fields")
    cls.__reduce__ = _reducer(cls, names)
    return cls


def _reducer(cls: type, names: list[str]) -> Callable[[Any], tuple]:
    # `attrgetter` reads the fields in C; with one name it returns the value itself, not a tuple.
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda self: (cls, (get(self),))
    return lambda self: (cls, get(self))
