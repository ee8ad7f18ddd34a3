"""PyTorch bridge: qdl circuits as differentiable torch functions and `nn.Module` layers.

    import qdl, qdl.torch
    prog = qdl.load("examples/classifier.qdl")
    layer = qdl.torch.QuantumLayer(prog.classify)  # w: an nn.Parameter of the declared shape (2, 4, 3)
    loss = ((layer(x) - y) ** 2).mean()              # x: (batch, 4), y: (batch,)
    loss.backward()

The circuit runs on its own back end (the LLVM kernel by default) in
float64.  A call evaluates the results and, when autograd will need them,
their Jacobian in the same pass (the adjoint method where it applies, else
parameter shift; `method=` chooses); backward contracts it with the
incoming gradient.  Results come back in the callers' floating dtype
(float32 in, float32 out).  Any number of leading batch axes is allowed:
they are flattened into the circuit's one batch axis and restored.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("qdl.torch needs PyTorch; install it with: pip install 'qdl[torch]'") from None

from qdl.api import CircuitFunction
from qdl.arguments import _match_names, signature_text
from qdl.compiler.ir import FLOAT, Argument
from qdl.errors import ArgumentError

__all__ = ["QuantumLayer", "apply"]


@torch.compiler.disable  # under torch.compile: a graph break, never traced (the kernel reads real memory)
def apply(function: CircuitFunction, *args: Any, method: str = "best", **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` on tensors, differentiable w.r.t. every float tensor that requires grad.

    Arguments may be tensors, numpy arrays or numbers; results are tensors
    (a tuple when the circuit returns a tuple).
    """
    values = _match_names(function.circuit, args, kwargs)
    arguments = function.circuit.arguments
    lead = _leading_shape(function, values)
    flat = [_flatten(values[a.name], a, lead) for a in arguments]
    dtype = _result_dtype(flat)
    outputs = _CircuitCall.apply(function, method, dtype, torch.is_grad_enabled(), *flat)
    outputs = tuple(o.reshape(lead + tuple(o.shape[1:])) if len(lead) != 1 else o for o in outputs) \
        if lead else outputs
    return outputs if function.circuit.returns_tuple else outputs[0]


class QuantumLayer(torch.nn.Module):
    """A circuit as a layer: its `param` arguments are `nn.Parameter`s of their declared shapes.

    `forward(*inputs)` takes the other arguments, in declaration order (or
    by name).  `init`: initial values by argument name, or a function of
    the `Argument` returning an array; default uniform in [0, 2π).
    """

    def __init__(self, function: CircuitFunction, *, init: Mapping[str, Any] | Callable[[Argument], Any] | None = None,
                 method: str = "best", dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.function, self.method = function, method
        trainable = [a for a in function.circuit.arguments if a.trainable]
        if not trainable:
            raise ArgumentError(f"circuit `{function.name}` has no `param` arguments to train; "
                                "call qdl.torch.apply(circuit, ...) for a layer without weights")
        self.inputs = tuple(a.name for a in function.circuit.arguments if not a.trainable)
        for argument in trainable:
            self._register(argument, _initial(argument, init), dtype or torch.get_default_dtype())

    def _register(self, argument: Argument, value: Any, dtype: torch.dtype) -> None:
        if hasattr(self, argument.name):
            raise ArgumentError(f"the `param` argument `{argument.name}` of circuit `{self.function.name}` "
                                "clashes with an attribute of torch.nn.Module; rename it in the source")
        tensor = torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=dtype)
        if tuple(tensor.shape) != tuple(argument.shape):
            raise ArgumentError(f"initial value of `{signature_text(argument)}` has shape "
                                f"{tuple(tensor.shape)}, expected {tuple(argument.shape)}")
        self.register_parameter(argument.name, torch.nn.Parameter(tensor))

    def forward(self, *inputs: Any, **named: Any) -> Any:
        if len(inputs) > len(self.inputs):
            raise ArgumentError(f"layer of circuit `{self.function.name}` takes {len(self.inputs)} input(s) "
                                f"({', '.join(self.inputs) or 'none'}) but {len(inputs)} were given")
        values = dict(zip(self.inputs, inputs), **named)
        for name, parameter in self.named_parameters(recurse=False):
            values.setdefault(name, parameter)
        return apply(self.function, method=self.method, **values)

    def extra_repr(self) -> str:
        return f"circuit {self.function.signature}, method={self.method!r}"


def _initial(argument: Argument, init: Any) -> Any:
    if init is None:
        return np.random.default_rng(torch.randint(0, 2**31, ()).item()).uniform(0, 2 * math.pi, argument.shape)
    if callable(init):
        return init(argument)
    if argument.name not in init:
        raise ArgumentError(f"`init` has no value for the `param` argument `{argument.name}`")
    return init[argument.name]


# --- batching and dtypes --------------------------------------------------------------


def _leading_shape(function: CircuitFunction, values: Mapping[str, Any]) -> tuple[int, ...]:
    """The batch axes in front of the declared shapes; all batched arguments must agree."""
    lead, first = (), ""
    for argument in function.circuit.arguments:
        shape = tuple(np.shape(values[argument.name]))
        extra = shape[:max(0, len(shape) - len(argument.shape))]
        if not extra:
            continue
        if lead and extra != lead:
            raise ArgumentError(f"batch shapes differ: `{first}` has {lead} but `{argument.name}` has {extra} "
                                f"(circuit `{function.name}`)")
        lead, first = extra, argument.name
    if 0 in lead:
        raise ArgumentError(f"argument `{first}` of circuit `{function.name}` is an empty batch {lead}: "
                            "there is nothing to evaluate or train on")
    return lead


def _flatten(value: Any, argument: Argument, lead: tuple[int, ...]) -> Any:
    """Several batch axes -> one; tensors stay tensors (autograd sees the reshape)."""
    if len(lead) <= 1 or np.ndim(value) == len(argument.shape):
        return value
    if torch.is_tensor(value):
        return value.reshape((-1,) + tuple(argument.shape))
    return np.reshape(value, (-1,) + tuple(argument.shape))


def _result_dtype(values: list[Any]) -> torch.dtype:
    """The callers' floating dtype (float32 in, float32 out); float64 when no tensor says otherwise."""
    floats = [v.dtype for v in values if torch.is_tensor(v) and v.dtype.is_floating_point]
    if not floats:
        return torch.float64
    dtype = floats[0]
    for other in floats[1:]:
        dtype = torch.promote_types(dtype, other)
    return dtype


def _as_array(value: Any, argument: Argument, circuit: str) -> Any:
    if not torch.is_tensor(value):
        return value
    if value.device.type != "cpu":
        raise ArgumentError(f"argument `{argument.name}` of circuit `{circuit}` is on {value.device}; "
                            "qdl runs circuits on the CPU: pass tensor.cpu()")
    if value.is_complex():
        raise ArgumentError(f"argument `{argument.name}` of circuit `{circuit}` is complex; "
                            f"it expects {argument.dtype} values")
    return value.detach().numpy()


def _to_tensor(value: Any, dtype: torch.dtype) -> torch.Tensor:
    tensor = torch.from_numpy(np.require(value, requirements=["C", "W"]))  # copies only read-only views
    if tensor.is_complex():
        return tensor.to(torch.complex64 if dtype in (torch.float32, torch.float16, torch.bfloat16)
                         else torch.complex128)
    return tensor.to(dtype) if tensor.is_floating_point() else tensor


# --- autograd ----------------------------------------------------------------------------


class _CircuitCall(torch.autograd.Function):
    """Forward: results (and their Jacobian when autograd needs it) in one evaluation; backward: v·J."""

    @staticmethod
    def forward(ctx: Any, function: CircuitFunction, method: str, dtype: torch.dtype, differentiate: bool,
                *values: Any) -> Any:
        arguments = function.circuit.arguments
        arrays = [_as_array(v, a, function.name) for v, a in zip(values, arguments)]
        needs = ctx.needs_input_grad[4:] if differentiate else (False,) * len(values)  # not under no_grad
        wrt = [a.name for a, need in zip(arguments, needs) if need and a.dtype == FLOAT]
        if not wrt:
            results = function(*arrays)
            ctx.jacobians = None
        else:
            results, jacobians = function.value_and_jacobian(*arrays, method=method,
                                                             wrt=wrt[0] if len(wrt) == 1 else wrt)
            ctx.jacobians = _per_result(function, jacobians, len(wrt))
        results = results if function.circuit.returns_tuple else (results,)
        ctx.wrt = wrt
        ctx.layout = [(a.name, np.ndim(arr) > len(a.shape), v.dtype if torch.is_tensor(v) else None)
                      for a, arr, v in zip(arguments, arrays, values)]
        ctx.batched = any(batched for _, batched, _ in ctx.layout)
        outputs = tuple(_to_tensor(r, dtype) for r in results)
        ctx.mark_non_differentiable(*(o for o in outputs if not o.dtype.is_floating_point))
        return outputs

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        out: list[Any] = [None, None, None, None]
        for name, batched, dtype in ctx.layout:
            if name not in ctx.wrt:
                out.append(None)
                continue
            k = ctx.wrt.index(name)
            total = None
            for grad, jacobians in zip(grads, ctx.jacobians):
                if grad is None:
                    continue
                term = _vjp(grad.detach().to(torch.float64).numpy(), jacobians[k], ctx.batched, batched)
                total = term if total is None else total + term
            out.append(None if total is None else torch.from_numpy(np.asarray(total, dtype=np.float64)).to(dtype))
        return tuple(out)


def _per_result(function: CircuitFunction, jacobians: Any, count: int) -> list[tuple[np.ndarray, ...]]:
    """Per result, its derivatives in `wrt` order, whatever nesting the API returned."""
    per_result = jacobians if function.circuit.returns_tuple else (jacobians,)
    return [tuple(d) if count > 1 else (d,) for d in per_result]


def _vjp(grad: np.ndarray, jacobian: np.ndarray, call_batched: bool, argument_batched: bool) -> np.ndarray:
    """Σ over the result's axes of grad · ∂result/∂argument (and over the batch for a shared argument)."""
    if not call_batched:
        rank = grad.ndim
        return np.tensordot(grad, jacobian, axes=rank)
    batch = grad.shape[0]
    g = grad.reshape(batch, -1)
    j = jacobian.reshape(batch, g.shape[1], -1)
    per_element = np.einsum("br,bra->ba", g, j).reshape((batch,) + jacobian.shape[grad.ndim:])
    return per_element if argument_batched else per_element.sum(axis=0)
