"""The Python face of qdl: load or compile a program, call its circuits.

    prog = qdl.load("examples/vqe_h2.qdl")
    energy = prog.energy(theta=0.1)        # or prog["energy"](0.1)
    energies = prog.energy(np.linspace(-1, 1, 50))   # a batch along a leading axis
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from qdl.arguments import bind, signature_text
from qdl.compiler.driver import CompileOptions, CompileResult, compile_file, compile_source
from qdl.compiler.ir import Circuit, Module, Sample, State
from qdl.errors import ArgumentError, CompileError, ExecutionError
from qdl.runtime import reference


class CircuitFunction:
    """A compiled circuit, callable with numpy arrays or Python numbers."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self.name = circuit.name
        self.__doc__ = f"circuit {self.signature}"

    @property
    def signature(self) -> str:
        args = ", ".join(signature_text(a) for a in self.circuit.arguments)
        return f"{self.name}({args})"

    @property
    def ir(self) -> str:
        """The circuit's IR in its text form."""
        from qdl.compiler.ir_text import format_circuit
        return format_circuit(self.circuit)

    def __call__(self, *args: Any, shots: int | None = None, seed: int | None = None,
                 **kwargs: Any) -> Any:
        """Evaluate the circuit; a leading batch axis on any argument batches the call."""
        bound, batch = bind(self.circuit, args, kwargs)
        _check_sampling(self.circuit, shots, seed)
        try:
            results = reference.simulate(self.circuit, bound, shots=shots, seed=seed)
        except ValueError as exc:
            raise ExecutionError(f"circuit `{self.name}`: {exc}") from None
        if batch is None:
            results = tuple(r[0] for r in results)
        return results if self.circuit.returns_tuple else results[0]

    def state(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """The state vector the circuit ends in (before any final measurements).

        Little-endian: bit i of an index is qubit i.  Useful for OpenQASM
        programs, whose `main` returns probabilities or an expectation value.
        """
        ops = reference.without_terminal_measurements(self.circuit.ops)
        circuit = replace(self.circuit, ops=ops, results=(State(),), returns_tuple=False)
        return CircuitFunction(circuit)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<qdl circuit {self.signature}>"


def _check_sampling(circuit: Circuit, shots: object, seed: object) -> None:
    if shots is not None and (isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1):
        raise ArgumentError(f"shots must be a positive integer, got {shots!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ArgumentError(f"seed must be a non-negative integer, got {seed!r}")
    if shots is None and any(isinstance(r, Sample) for r in circuit.results):
        raise ArgumentError(f"circuit `{circuit.name}` returns `sample`: pass shots=N")


class Program:
    """A compiled `.qdl` program: its circuits are attributes and items."""

    def __init__(self, module: Module, result: CompileResult) -> None:
        self.module = module
        self.warnings = result.render() if result.sink.diagnostics else ""
        self._functions = {c.name: CircuitFunction(c) for c in module.circuits}

    @property
    def ir(self) -> str:
        """The whole module's IR in its text form."""
        from qdl.compiler.ir_text import format_module
        return format_module(self.module)

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(self._functions)

    def __getitem__(self, name: str) -> CircuitFunction:
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError(f"no circuit `{name}`; circuits: {', '.join(self._functions) or '(none)'}") from None

    def __getattr__(self, name: str) -> CircuitFunction:
        functions = self.__dict__.get("_functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(f"program has no circuit `{name}`; circuits: {', '.join(functions) or '(none)'}")

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._functions))

    def __repr__(self) -> str:
        return f"<qdl program: {', '.join(self._functions)}>"


def _program(result: CompileResult) -> Program:
    if result.module is None:
        raise CompileError(result.render(), result.sink.errors)
    return Program(result.module, result)


def load(path: str | Path, *, observable: str | None = None, max_ops: int | None = None,
         max_memory: int | None = None) -> Program:
    """Compile a `.qdl` or OpenQASM (`.qasm`) file; raises `CompileError` on mistakes.

    An OpenQASM file becomes one circuit, `main`, returning the expectation of
    `observable` (e.g. "0.5*Z0 Z1 + 0.3*X2") or, without one, the
    probabilities of all qubits.
    """
    return _program(compile_file(path, _options(max_ops, max_memory), observable=observable))


def compile(source: str, filename: str = "<string>", *, base_dir: str | Path | None = None,
            observable: str | None = None, language: str | None = None,
            max_ops: int | None = None, max_memory: int | None = None) -> Program:
    """Compile program text (qdl, or OpenQASM when it starts with `OPENQASM` or `language="qasm"`)."""
    return _program(compile_source(source, filename, _options(max_ops, max_memory), base_dir,
                                   observable=observable, language=language))


def _options(max_ops: int | None, max_memory: int | None) -> CompileOptions:
    for name, value in (("max_ops", max_ops), ("max_memory", max_memory)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    defaults = CompileOptions()
    return CompileOptions(max_ops=defaults.max_ops if max_ops is None else max_ops,
                          max_state_bytes=max_memory)
