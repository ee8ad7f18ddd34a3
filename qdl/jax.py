"""JAX bridge: a qdl circuit as a JAX function that works under `jax.jit`, `jax.grad` and `jax.vmap`.

    import jax, qdl, qdl.jax
    prog = qdl.load("examples/vqe_h2.qdl")
    energy = qdl.jax.function(prog.energy)
    jax.jit(jax.grad(energy))(0.1)

The circuit runs on its own back end through `jax.pure_callback` (outside
the traced computation, in float64); the derivative is a `jax.custom_vjp`
whose forward pass evaluates the results and their Jacobian with respect to
every float argument in one call (adjoint where it applies, else parameter
shift; `method=` chooses), and whose backward pass contracts it with the
cotangent in JAX.  Under `vmap` the batch reaches the circuit as one batched
call.  Results have JAX's default float dtype (float32 unless
`jax_enable_x64` is on).  `sample` results need shots and are not supported.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("qdl.jax needs JAX; install it with: pip install 'qdl[jax]'") from None

from qdl.api import CircuitFunction
from qdl.compiler.ir import FLOAT, Circuit, Probs, Sample, State
from qdl.errors import ArgumentError

__all__ = ["function"]


def function(circuit: CircuitFunction, *, method: str = "best") -> Callable[..., Any]:
    """The circuit as a JAX-differentiable function of its arguments (positional, in declaration order)."""
    _result_shapes(circuit.circuit)  # refuse what cannot run before anything is traced
    arguments = circuit.circuit.arguments
    floats = tuple(k for k, a in enumerate(arguments) if a.dtype == FLOAT)

    @jax.custom_vjp
    def call(*args: Any) -> Any:
        return _pack(circuit, _evaluate(circuit, args, with_jacobian=False, method=method)[0])

    def forward(*args: Any) -> tuple[Any, Any]:
        values, jacobians = _evaluate(circuit, args, with_jacobian=bool(floats), method=method)
        return _pack(circuit, values), jacobians

    def backward(jacobians: Any, cotangents: Any) -> tuple[Any, ...]:
        cotangents = cotangents if circuit.circuit.returns_tuple else (cotangents,)
        grads: list[Any] = [None] * len(arguments)
        for k, position in enumerate(floats):
            terms = [_contract(c, per_result[k]) for c, per_result in zip(cotangents, jacobians)]
            grads[position] = sum(terms[1:], terms[0])
        return tuple(grads)

    call.defvjp(forward, backward)

    def wrapped(*args: Any) -> Any:
        if len(args) != len(arguments):
            raise ArgumentError(f"circuit `{circuit.name}` takes {len(arguments)} argument(s) "
                                f"({circuit.signature}), got {len(args)}")
        return call(*args)

    wrapped.__name__ = wrapped.__qualname__ = circuit.name
    wrapped.__doc__ = f"circuit {circuit.signature}, as a JAX function"
    return wrapped


def _evaluate(circuit: CircuitFunction, args: tuple, with_jacobian: bool, method: str) -> tuple[tuple, Any]:
    """(results, per result the Jacobians w.r.t. each float argument) through one host callback."""
    real, complex_ = _float_dtypes()
    shapes = [jax.ShapeDtypeStruct(s, complex_ if c else real) for s, c in _result_shapes(circuit.circuit)]
    arguments = circuit.circuit.arguments
    floats = [a for a in arguments if a.dtype == FLOAT]
    if with_jacobian:
        shapes += [jax.ShapeDtypeStruct(s + tuple(a.shape), real) for s, c in _result_shapes(circuit.circuit)
                   for a in floats]
    host = _HostCall(circuit, method, with_jacobian, shapes)
    flat = jax.pure_callback(host, tuple(shapes), *(jnp.asarray(a) for a in args), vmap_method="broadcast_all")
    count = len(circuit.circuit.results)
    values = tuple(flat[:count])
    if not with_jacobian:
        return values, None
    per_result = [tuple(flat[count + r * len(floats): count + (r + 1) * len(floats)]) for r in range(count)]
    return values, per_result


class _HostCall:
    """The callback: numpy arrays in (any leading batch axes), the circuit's results (and Jacobians) out."""

    def __init__(self, circuit: CircuitFunction, method: str, with_jacobian: bool,
                 shapes: list[jax.ShapeDtypeStruct]) -> None:
        self.circuit, self.method, self.with_jacobian, self.shapes = circuit, method, with_jacobian, shapes

    def __call__(self, *args: np.ndarray) -> tuple[np.ndarray, ...]:
        arguments = self.circuit.circuit.arguments
        lead = _leading_shape(arguments, args)
        flat = [np.asarray(a).reshape((-1,) + tuple(d.shape)) if lead else np.asarray(a)
                for a, d in zip(args, arguments)]
        if self.with_jacobian:
            wrt = [a.name for a in arguments if a.dtype == FLOAT]
            values, jacobians = self.circuit.value_and_jacobian(*flat, method=self.method, wrt=wrt)
            per_result = jacobians if self.circuit.circuit.returns_tuple else (jacobians,)
            outputs = _as_tuple(self.circuit, values) + tuple(j for d in per_result for j in d)
        else:
            outputs = _as_tuple(self.circuit, self.circuit(*flat))
        return tuple(np.asarray(o).reshape(lead + s.shape).astype(s.dtype) for o, s in zip(outputs, self.shapes))


def _leading_shape(arguments, args) -> tuple[int, ...]:
    """vmap's batch axes in front of the declared shapes ("broadcast_all": every argument has them)."""
    for argument, value in zip(arguments, args):
        extra = np.ndim(value) - len(argument.shape)
        if extra > 0:
            return tuple(np.shape(value)[:extra])
    return ()


def _as_tuple(circuit: CircuitFunction, values: Any) -> tuple:
    return tuple(values) if circuit.circuit.returns_tuple else (values,)


def _pack(circuit: CircuitFunction, values: tuple) -> Any:
    return values if circuit.circuit.returns_tuple else values[0]


def _contract(cotangent: Any, jacobian: Any) -> Any:
    """Σ over the result's axes of cotangent · ∂result/∂argument."""
    return jnp.tensordot(cotangent, jacobian, axes=jnp.ndim(cotangent))


def _result_shapes(circuit: Circuit) -> list[tuple[tuple[int, ...], bool]]:
    """(shape, is complex) of each result of one (unbatched) call."""
    shapes = []
    for result in circuit.results:
        if isinstance(result, Sample):
            raise ArgumentError(f"circuit `{circuit.name}` returns `sample`, which qdl.jax does not support "
                                "(it needs shots); return `probs` instead")
        if isinstance(result, State):
            shapes.append(((2**circuit.num_qubits,), True))
        elif isinstance(result, Probs):
            shapes.append(((2**len(result.qubits),), False))
        else:
            shapes.append(((), False))
    return shapes


def _float_dtypes() -> tuple[np.dtype, np.dtype]:
    """JAX's default float and complex dtypes (64-bit only with jax_enable_x64)."""
    return np.dtype(jnp.result_type(float)), np.dtype(jnp.result_type(complex))
