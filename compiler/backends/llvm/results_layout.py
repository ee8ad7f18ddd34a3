"""Which results of a circuit the compiled reduction computes, and where they sit: host-side algebra.

Pauli strings.  A term's letters, multiplied out in the order the reference
applies them, are γ·σ(x, z) with σ(x, z) = i^|x&z| X^x Z^z Hermitian (Y = iXZ)
and σ(x, z)|i> = i^|x&z| (-1)^|i&z| |i^x>, so

    <σ(x, z)> = Re(i^|x&z| S(x, z)),   S(x, z) = Σ_i (-1)^|i&z| conj(a_{i^x}) a_i.

The compiled code (`reduce.py`) computes Re S and Im S of every distinct
(x, z) once; each result slot is then a fixed real combination of them (a
coefficient table); Var is <H†H> - <H>², with H†H expanded into Pauli
strings here.  `Sample` slots (SAMPLE) are drawn from the final states by
the runtime library's compiled sampler after the kernel (they need shots and
a seed, which the kernel does not take); a `Probs` with a repeated qubit
must raise the reference's error: it stays on the host (`ReductionLayout.host`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qdl.compiler.ir import Circuit, ExpVal, Observable, Probs, Result, Sample, State, Var

MAX_SQUARE_TERMS = 512  # Var of a longer Pauli sum: H†H has up to T² strings (T² pairs formed on the host)
MAX_SQUARE_STRINGS = 8192  # ... and past this many distinct strings, T passes of the host beat S signed sums
_LETTERS = {"X": (1, 0, 1), "Y": (1, 1, 1j), "Z": (0, 1, 1)}  # (x bit, z bit, phase): Y = i·X·Z
_I_POWERS = np.array([1, 1j, -1, -1j])
VALUE, PROBS, STATE, SAMPLE, HOST = "value", "probs", "state", "sample", "host"


# --- Pauli algebra on the host -------------------------------------------------------


def _string(paulis: tuple[tuple[int, str], ...]) -> tuple[int, int, complex]:
    """(x, z, γ) with P_last ··· P_first = γ σ(x, z), the letters applied first to last like the reference."""
    x = z = 0
    phase: complex = 1
    for qubit, letter in paulis:
        lx, lz, lp = _LETTERS[letter]
        phase *= lp * (-1) ** (bin((lz << qubit) & x).count("1") & 1)  # Z^lz moved left past X^x
        x, z = x ^ (lx << qubit), z ^ (lz << qubit)
    return x, z, phase * (-1j) ** bin(x & z).count("1")


def _strings(observable: Observable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, z, γ) arrays of H = Σ γ σ(x, z), one entry per term (not merged)."""
    rows = [_string(term.paulis) + (term.coeff,) for term in observable.terms]
    x = np.array([r[0] for r in rows], dtype=np.int64)
    z = np.array([r[1] for r in rows], dtype=np.int64)
    gamma = np.array([r[2] * r[3] for r in rows], dtype=np.complex128)
    return x, z, gamma


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a).astype(np.int64)


def _square(x: np.ndarray, z: np.ndarray, gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """H†H = Σ_ab conj(γ_a) γ_b σ_a σ_b as (x, z, γ) of every ordered pair.

    σ_a σ_b = i^(|xa&za| + |xb&zb| + 2|za&xb| - |x&z|) σ(xa^xb, za^zb) (Z^za moved past X^xb).
    """
    xa, xb = np.meshgrid(x, x, indexing="ij")
    za, zb = np.meshgrid(z, z, indexing="ij")
    px, pz = xa ^ xb, za ^ zb
    power = _popcount(xa & za) + _popcount(xb & zb) + 2 * _popcount(za & xb) - _popcount(px & pz)
    coeff = np.conj(gamma)[:, None] * gamma[None, :] * _I_POWERS[power % 4]
    return px.ravel(), pz.ravel(), coeff.ravel()


def _merged(x: np.ndarray, z: np.ndarray, gamma: np.ndarray) -> dict[tuple[int, int], float]:
    """{(x, z): Re Σγ}: <σ> is real, so only Re γ reaches Re <H>; exact zeros (anticommuting pairs) dropped."""
    if not len(x):
        return {}
    keys, inverse = np.unique(np.stack([x, z], axis=1), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=gamma.real, minlength=len(keys))
    return {(int(k[0]), int(k[1])): float(w) for k, w in zip(keys, weights) if w != 0}


# --- the layout ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSlot:
    """Where one result lives: `kind` VALUE/PROBS at out[offset : offset + size], STATE, SAMPLE or HOST."""

    kind: str
    offset: int = 0
    size: int = 0


class _Builder:
    """Accumulates slots, strings and tables while `ReductionLayout.of` walks the results."""

    def __init__(self) -> None:
        self.width = 0
        self.strings: dict[tuple[int, int], int] = {}
        self.terms: list[tuple[int, tuple[int, int], float]] = []  # (dest slot, string, coefficient)
        self.variances: list[tuple[int, int, int]] = []
        self.probs: list[tuple[int, tuple[int, ...]]] = []

    def slot(self, size: int = 1) -> int:
        self.width += size
        return self.width - size

    def combination(self, dest: int, weights: dict[tuple[int, int], float]) -> None:
        for key, weight in weights.items():
            self.strings.setdefault(key, len(self.strings))
            self.terms.append((dest, key, weight))


@dataclass(frozen=True)
class ReductionLayout:
    """Which results the compiled reduction computes and where each sits in a row of `out`.

    Row layout: result slots in result order, then the mean and <H†H> of every
    Var, then Re S, Im S of every string.  `terms` rows are
    (dest slot, source slot, coefficient): out[dest] += coefficient · out[source].
    """

    slots: tuple[ResultSlot, ...]
    strings: tuple[tuple[int, int], ...]
    terms: tuple[tuple[int, int, float], ...]
    variances: tuple[tuple[int, int, int], ...]  # (var slot, mean slot, square slot)
    probs: tuple[tuple[int, tuple[int, ...]], ...]  # (offset, qubits)
    strings_offset: int
    width: int

    @classmethod
    def of(cls, circuit: Circuit) -> "ReductionLayout":
        """The layout of `circuit.results`; a pure function of them (the IR is a function of the layout)."""
        return cls.of_results(circuit.results)

    @classmethod
    def of_results(cls, results: tuple[Result, ...]) -> "ReductionLayout":
        build = _Builder()
        slots = tuple(_place(build, result) for result in results)
        strings_offset = build.slot(2 * len(build.strings))
        terms = tuple((dest, strings_offset + 2 * build.strings[key] + part, sign * weight)
                      for dest, key, weight in build.terms for part, sign in [_part(key)])
        return cls(slots, tuple(build.strings), terms, tuple(build.variances), tuple(build.probs),
                   strings_offset, build.width)

    @property
    def host(self) -> tuple[int, ...]:
        """Indices of the results the host must compute (`reference_results.results`)."""
        return tuple(k for k, slot in enumerate(self.slots) if slot.kind == HOST)

    def unpack(self, out: np.ndarray, states: np.ndarray, batch: int) -> tuple[np.ndarray | None, ...]:
        """The results as `reference_results.results` returns them (shots=None); None where `host` says so."""
        rows = np.asarray(out, dtype=np.float64).reshape(batch, self.width)
        return tuple(_unpack(slot, rows, states, batch) for slot in self.slots)


def _part(key: tuple[int, int]) -> tuple[int, float]:
    """<σ(x, z)> = Re(i^|x&z| (Re S + i Im S)): which part of S (0 re, 1 im) and its sign."""
    return [(0, 1.0), (1, -1.0), (0, -1.0), (1, 1.0)][bin(key[0] & key[1]).count("1") % 4]


def _place(build: _Builder, result: Result) -> ResultSlot:
    """Reserve `result`'s slots; whatever the compiled code cannot reproduce exactly goes to the host."""
    if isinstance(result, ExpVal):
        dest = build.slot()
        build.combination(dest, _merged(*_strings(result.observable)))
        return ResultSlot(VALUE, dest, 1)
    if isinstance(result, Var) and len(result.observable.terms) <= MAX_SQUARE_TERMS:
        return _place_var(build, result.observable)
    if isinstance(result, Probs) and len(set(result.qubits)) == len(result.qubits):
        offset = build.slot(2 ** len(result.qubits))
        build.probs.append((offset, result.qubits))
        return ResultSlot(PROBS, offset, 2 ** len(result.qubits))
    if isinstance(result, State):
        return ResultSlot(STATE)
    if isinstance(result, Sample):
        return ResultSlot(SAMPLE)
    return ResultSlot(HOST)


def _place_var(build: _Builder, observable: Observable) -> ResultSlot:
    x, z, gamma = _strings(observable)
    square = _merged(*_square(x, z, gamma))
    if len(square) > MAX_SQUARE_STRINGS:
        return ResultSlot(HOST)
    var = build.slot()
    mean, squared = build.slot(), build.slot()
    build.combination(mean, _merged(x, z, gamma))
    build.combination(squared, square)
    build.variances.append((var, mean, squared))
    return ResultSlot(VALUE, var, 1)


def _unpack(slot: ResultSlot, rows: np.ndarray, states: np.ndarray, batch: int) -> np.ndarray | None:
    if slot.kind == VALUE:
        return rows[:, slot.offset].copy()
    if slot.kind == PROBS:
        return rows[:, slot.offset : slot.offset + slot.size].copy()
    if slot.kind == STATE:
        flat = np.asarray(states).reshape(batch, np.shape(states)[-1] if batch else 0)
        return (flat.view(np.complex128) if flat.dtype == np.float64 else flat).copy()
    return None
