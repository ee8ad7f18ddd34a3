"""The Python face of a circuit: call it, differentiate it, batch it (`CircuitFunction`, `grad`).

    prog = qdl.load("examples/vqe_h2.qdl")  # `qdl.programs`
    energy = prog.energy(theta=0.1)        # or prog["energy"](0.1): a CircuitFunction
    energies = prog.energy(np.linspace(-1, 1, 50))   # a batch along a leading axis
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from qdl.arguments import bind, signature_text
from qdl.compiler.ir import Circuit, ExpVal, Sample, State, Var
from qdl.errors import ArgumentError, ExecutionError, QdlError
from qdl.runtime import reference
from qdl.runtime.executors import Executor, current_executor


BACKENDS = ("llvm", "reference")
DEFAULT_BACKEND = "llvm"  # compiled kernels; circuits they cannot run yet take the reference
PRECISIONS = ("double", "single")  # complex128 or complex64 states (Qiskit Aer's names)
DEFAULT_PRECISION = "double"


class CircuitFunction:
    """A compiled circuit, callable with numpy arrays or Python numbers.

    `backend` and `precision` are those of `qdl.load`: "llvm" or "reference",
    and "double" (complex128 states) or "single" (complex64, llvm only).
    """

    def __init__(self, circuit: Circuit, backend: str = DEFAULT_BACKEND,
                 precision: str = DEFAULT_PRECISION) -> None:
        check_backend(backend, precision)
        self.circuit = circuit
        self.name = circuit.name
        self.backend = backend
        self.precision = precision
        self._kernel: Any = None  # the compiled LLVM circuit, once built (False: the kernel cannot run it)
        self._fast_adjoints: dict[str | None, Any] = {}  # wrt -> compiled adjoint fast path (False: none)
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

    def __call__(self, *args: Any, shots: int | None = None, seed: int | None = None, executor: Any = None,
                 **kwargs: Any) -> Any:
        """Evaluate the circuit; a leading batch axis on any argument batches the call.

        `executor` (a `qdl.LocalExecutor` or `qdl.DaskExecutor`) runs a batch's
        kernel; default: the one of `qdl.executor(...)` / `qdl.set_executor`.
        Unbatched calls, and circuits the reference simulator runs, stay in this process.
        """
        if self.backend == "llvm" and not kwargs and _plain_sampling(shots, seed) and (kernel := self._compiled()):
            fast = kernel.call_unbatched(self.circuit.arguments, args, shots, seed)
            if fast is not None:
                return fast if self.circuit.returns_tuple else fast[0]
        chosen = current_executor(executor)
        bound, batch = bind(self.circuit, args, kwargs)
        _check_sampling(self.circuit, shots, seed)
        try:
            results = self._simulate(bound, shots, seed, chosen if batch is not None else None)
        except (ValueError, MemoryError) as exc:
            raise ExecutionError(f"circuit `{self.name}`: {exc or 'out of memory'}") from None
        if batch is None:
            results = tuple(r[0] for r in results)
        return results if self.circuit.returns_tuple else results[0]

    def _simulate(self, bound: dict, shots: int | None, seed: int | None,
                  executor: Executor | None = None) -> tuple[np.ndarray, ...]:
        """Run on the chosen back end; circuits the LLVM kernel cannot run yet use the reference."""
        kernel = self._compiled() if self.backend == "llvm" else None
        if kernel:
            return kernel.run(bound, shots=shots, seed=seed, executor=executor)
        return reference.simulate(self.circuit, bound, shots=shots, seed=seed)

    def _compiled(self) -> Any:
        """The LLVM kernel of the circuit, compiled on first use and kept (no lookup per call)."""
        if self._kernel is None:
            from qdl.runtime import llvm
            try:
                self._kernel = llvm.compile_circuit(self.circuit, precision=self.precision)
            except llvm.Unsupported:
                self._kernel = False  # mid-circuit measurement, reset or conditions: the reference runs them
        return self._kernel

    def state(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """The state vector the circuit ends in (before any final measurements).

        Little-endian: bit i of an index is qubit i.  Useful for OpenQASM
        programs, whose `main` returns probabilities or an expectation value.
        """
        ops = reference.without_terminal_measurements(self.circuit.ops)
        circuit = replace(self.circuit, ops=ops, results=(State(),), returns_tuple=False)
        return CircuitFunction(circuit, self.backend, self.precision)(*args, **kwargs)

    # --- derivatives (see docs/autodiff.md) -------------------------------------------

    def jacobian(self, *args: Any, method: str = "best", wrt: str | Sequence[str] | None = None,
                 shots: int | None = None, seed: int | None = None, executor: Any = None,
                 **kwargs: Any) -> Any:
        """Derivatives of every result with respect to `wrt` (default: the `param` arguments).

        Per result (a tuple of them when the circuit returns a tuple): one array
        of shape batch + result shape + argument shape when `wrt` is one name (or
        None with one `param` argument), else a tuple of them in `wrt` order.
        `method`: "best" (adjoint when it applies, else parameter shift),
        "parameter-shift", "adjoint" or "finite-diff".  With `shots` (and an
        optional `seed`), parameter-shift estimates from samples.  `executor`: as in a call
        (it runs parameter shift's batch and the adjoint's batch on the `llvm` back end).
        """
        return self._derivatives(args, kwargs, method, wrt, shots, seed, executor)[1]

    def grad(self, *args: Any, method: str = "best", wrt: str | Sequence[str] | None = None,
             shots: int | None = None, seed: int | None = None, executor: Any = None,
             **kwargs: Any) -> Any:
        """Gradient of a circuit returning one `expval` or `var`; shapes as in `jacobian`."""
        _check_scalar(self.circuit)
        return self.jacobian(*args, method=method, wrt=wrt, shots=shots, seed=seed, executor=executor, **kwargs)

    def value_and_grad(self, *args: Any, method: str = "best", wrt: str | Sequence[str] | None = None,
                       shots: int | None = None, seed: int | None = None, executor: Any = None,
                       **kwargs: Any) -> tuple[Any, Any]:
        """`(f(*args), f.grad(*args))` sharing the unshifted evaluation."""
        _check_scalar(self.circuit)
        return self._derivatives(args, kwargs, method, wrt, shots, seed, executor)

    def value_and_jacobian(self, *args: Any, method: str = "best", wrt: str | Sequence[str] | None = None,
                           shots: int | None = None, seed: int | None = None, executor: Any = None,
                           **kwargs: Any) -> tuple[Any, Any]:
        """`(f(*args), f.jacobian(*args))` from one evaluation, for any results (training loops, bridges)."""
        return self._derivatives(args, kwargs, method, wrt, shots, seed, executor)

    def hessian(self, *args: Any, wrt: str | Sequence[str] | None = None, **kwargs: Any) -> Any:
        """Second derivatives of one `expval` or `var` by the shift rules applied twice.

        One array (batch +) shape + shape for one differentiated argument, else a
        tuple of tuples: `h[i][j]` is ∂²f/∂wrt[i]∂wrt[j].
        """
        from qdl.compiler.autodiff.hessian import hessian_program
        from qdl.runtime.hessians import hessian
        _check_scalar(self.circuit)
        program = self._nonempty_program(wrt)
        bound, batch = bind(self.circuit, args, kwargs)
        blocks = hessian(hessian_program(program), bound).hessians[0]
        pick = (lambda a: a) if batch is not None else (lambda a: a[0])
        names = program.wrt
        if isinstance(wrt, str) or (wrt is None and len(names) == 1):
            return pick(blocks[(names[0], names[0])])
        return tuple(tuple(pick(blocks[(a, b)]) for b in names) for a in names)

    def metric_tensor(self, *args: Any, wrt: str | Sequence[str] | None = None, approx: str = "block-diag",
                      **kwargs: Any) -> np.ndarray:
        """The Fubini–Study metric of the circuit's state (quantum natural gradient), block-diagonal by layers.

        Shape (P, P) (batch + (P, P) when batched), P = number of elements of
        the `wrt` arguments (default: the `param` ones), flattened in order and
        row-major.  `approx`: "block-diag" (every pair of gates in a layer)
        or "diag" (variances only).  See docs/autodiff.md.
        """
        from qdl.runtime.metric import metric_tensor
        program = self.metric_program(wrt, approx)
        if not program.wrt:
            raise ArgumentError(f"circuit `{self.name}` has no `param` arguments; pass wrt=[names of float arguments]")
        bound, batch = bind(self.circuit, args, kwargs)
        metric = metric_tensor(program, bound, backend=self.backend)
        return metric if batch is not None else metric[0]

    def metric_program(self, wrt: str | Sequence[str] | None = None, approx: str = "block-diag"):
        """The metric pass's `MetricProgram` for `wrt` (cached)."""
        from qdl.compiler.autodiff.metric import metric_program
        key = (wrt if wrt is None or isinstance(wrt, str) else tuple(wrt), approx)
        cache = self.__dict__.setdefault("_metric_programs", {})
        if key not in cache:
            cache[key] = metric_program(self.circuit, _names(wrt), approx)
        return cache[key]

    def gradient_program(self, wrt: str | Sequence[str] | None = None):
        """The AD pass's `GradientProgram` for `wrt` (cached)."""
        from qdl.compiler.autodiff import gradient_program
        key = wrt if wrt is None or isinstance(wrt, str) else tuple(wrt)
        cache = self.__dict__.setdefault("_programs", {})
        if key not in cache:
            cache[key] = gradient_program(self.circuit, _names(wrt))
        return cache[key]

    def schedule(self, device: Any, method: str = "alap", values: dict[str, Any] | None = None) -> Any:
        """This circuit as a pulse schedule on `device` (a name, a device file or a `Device`); docs/pulse.md.

        The circuit is lowered with `to-native`, then through the device's
        calibrations; arguments stay symbolic, `values` records their values.
        """
        from qdl.compiler.passes.schedule import schedule_circuit
        return schedule_circuit(self.circuit, device, method, values=values)

    def openpulse(self, device: Any, method: str = "alap", values: dict[str, Any] | None = None) -> str:
        """Gate-level OpenQASM 3 + OpenPulse: the device's `defcal`s this circuit uses, then its native gates.

        The flat form (every pulse at its time) is `schedule(device).to_json()`
        exported with `qdlc schedule --emit openpulse`; docs/pulse.md.
        """
        from qdl.compiler.pulse.openpulse_defcal import export_openpulse_defcal
        return export_openpulse_defcal(self.circuit, device, method, values=values)

    def _nonempty_program(self, wrt: Any):
        program = self.gradient_program(wrt)
        if not program.wrt:
            raise ArgumentError(f"circuit `{self.name}` has no `param` arguments to differentiate; "
                                "pass wrt=[names of float arguments]")
        return program

    def _derivatives(self, args: Any, kwargs: Any, method: str, wrt: Any, shots: int | None = None,
                     seed: int | None = None, executor: Any = None) -> tuple[Any, Any]:
        chosen = current_executor(executor)  # checked even where the fast path runs here
        fast = None
        if self.backend == "llvm" and shots is None and not kwargs and method in ("best", "adjoint") \
                and (wrt is None or isinstance(wrt, str)):
            fast = self._fast_derivatives(args, wrt)
        values, derivs = fast or self._general_derivatives(self._nonempty_program(wrt), args, kwargs, method,
                                                           shots, seed, chosen)
        if isinstance(wrt, str) or (wrt is None and derivs and len(derivs[0]) == 1):  # one `param` argument
            derivs = [d[0] for d in derivs]
        if self.circuit.returns_tuple:
            return tuple(values), tuple(derivs)
        return values[0], derivs[0]

    def _general_derivatives(self, program: Any, args: Any, kwargs: Any, method: str, shots: int | None,
                             seed: int | None, executor: Executor | None = None) -> tuple[list, list]:
        """(values, per result a tuple of derivatives in `program.wrt` order) from `runtime.gradients`."""
        from qdl.runtime.gradients import jacobian
        bound, batch = bind(self.circuit, args, kwargs)
        if shots is not None:
            _check_sampling(self.circuit, shots, seed)
        try:
            result = jacobian(program, bound, method, shots, seed, backend=self.backend, precision=self.precision,
                              executor=executor)
        except ValueError as exc:
            if isinstance(exc, QdlError):
                raise
            raise ExecutionError(f"circuit `{self.name}`: {exc}") from None
        values = [v if batch is not None else v[0] for v in result.values]
        return values, [tuple(d[n] if batch is not None else d[n][0] for n in program.wrt) for d in result.derivatives]

    def _fast_derivatives(self, args: tuple, wrt: str | None) -> tuple[list, list] | None:
        """`_general_derivatives` of a plain unbatched call by the compiled adjoint's fast path, else None.

        None sends the call the general way: results other than `expval`,
        circuits the adjoint cannot take, arguments not float64 arrays of their
        declared shapes, non-finite results; so every error is raised there.
        """
        compiled = self._fast_adjoints.get(wrt)
        if compiled is None:
            from qdl.runtime.llvm.adjoint import fast_adjoint
            compiled = self._fast_adjoints[wrt] = fast_adjoint(self.gradient_program(wrt), self.precision) or False
        return compiled.value_and_grad_unbatched(self.circuit.arguments, args) if compiled else None

    def __repr__(self) -> str:
        return f"<qdl circuit {self.signature}>"

    # --- seeing the circuit (see docs/drawing.md) -------------------------------------

    def draw(self, format: str = "text", width: int | None = None, args: dict | None = None) -> Any:
        """The circuit's drawing: text (a str, `width` columns, default 100) or "mpl" (a matplotlib Figure).

        `args` binds arguments by name to show angles as numbers (partly bound: the rest stay symbolic).
        """
        from qdl.compiler.draw.api import draw
        return draw(self.circuit, format, width, args)

    def stats(self, levels: Sequence[int] = (0, 1, 2, 3)):
        """A `Resources` report: qubits, gates by kind, depth, gradient cost, memory, per -O level."""
        from qdl.compiler.draw import resources
        return resources(self.circuit, tuple(levels))

    def _repr_html_(self) -> str:
        from qdl.compiler.draw.notebook import circuit_html
        return circuit_html(self.circuit)

    def _repr_svg_(self) -> str | None:
        from qdl.compiler.draw.notebook import circuit_svg
        return circuit_svg(self.circuit)


def check_backend(backend: object, precision: object) -> None:
    if backend not in BACKENDS:
        raise ArgumentError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ArgumentError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision != "double" and backend != "llvm":
        raise ArgumentError(f"precision={precision!r} needs backend=\"llvm\"; the reference simulator "
                            "computes in double only")


def _names(wrt: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if wrt is None:
        return None
    return (wrt,) if isinstance(wrt, str) else tuple(wrt)


def _check_scalar(circuit: Circuit) -> None:
    if len(circuit.results) != 1 or not isinstance(circuit.results[0], (ExpVal, Var)):
        raise ArgumentError(f"circuit `{circuit.name}` does not return one `expval` or `var`: "
                            "`grad` needs a scalar result; use `jacobian` instead")


def grad(function: CircuitFunction, argnums: int | Sequence[int] | None = None, *,
         method: str = "best") -> Callable[..., Any]:
    """`qdl.grad(f, argnums)(*args)`: the gradient as a function, like `jax.grad`.

    `argnums` picks arguments by position (default: the `param` arguments); an
    int gives one array, a sequence a tuple of arrays in that order.
    """
    if argnums is None:
        wrt: str | tuple[str, ...] | None = None
    elif isinstance(argnums, int):
        wrt = _argument_name(function, argnums)
    else:
        wrt = tuple(_argument_name(function, i) for i in argnums)

    def gradient(*args: Any, **kwargs: Any) -> Any:
        return function.grad(*args, method=method, wrt=wrt, **kwargs)

    gradient.__doc__ = f"gradient of {function.signature} with respect to {wrt or 'its param arguments'}"
    return gradient


def _argument_name(function: CircuitFunction, position: int) -> str:
    arguments = function.circuit.arguments
    if not -len(arguments) <= position < len(arguments):
        raise ArgumentError(f"argnums: circuit `{function.name}` has {len(arguments)} arguments, "
                            f"no position {position}")
    return arguments[position].name


def _plain_sampling(shots: object, seed: object) -> bool:
    """No shots, or valid Python int shots and seed: what the fast path takes (anything else is checked)."""
    return shots is None or (type(shots) is int and shots >= 1 and (seed is None or (type(seed) is int and seed >= 0)))


def _check_sampling(circuit: Circuit, shots: object, seed: object) -> None:
    if shots is not None and (isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1):
        raise ArgumentError(f"shots must be a positive integer, got {shots!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ArgumentError(f"seed must be a non-negative integer, got {seed!r}")
    if shots is None and any(isinstance(r, Sample) for r in circuit.results):
        raise ArgumentError(f"circuit `{circuit.name}` returns `sample`: pass shots=N")
