"""NumPy optimizers for training circuits without a deep-learning framework.

    opt = qdl.optim.Adam(lr=0.1)
    theta = np.zeros(3)
    for _ in range(100):
        energy, grad = prog.energy.value_and_grad(theta)
        theta = opt.step(theta, grad)

`step(params, grads)` returns new parameters of the same structure: an
array, a number, or a dict / tuple / list of them (nested), which is what
`value_and_grad` returns for one or several `param` arguments.  Parameters
are never modified in place.  `minimize` runs the loop with a stopping rule.
`QNG` preconditions the gradient with the circuit's metric tensor (quantum
natural gradient), which it computes itself at the current parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from qdl.errors import ArgumentError

__all__ = ["GradientDescent", "Momentum", "Adam", "QNG", "OptimizeResult", "minimize"]


class Optimizer:
    """Shared bookkeeping: flatten the parameter structure, keep per-leaf state, rebuild."""

    def __init__(self, lr: float) -> None:
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ArgumentError(f"the learning rate must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.steps = 0
        self._state: list[dict[str, np.ndarray]] | None = None

    def step(self, params: Any, grads: Any) -> Any:
        """New parameters after one update from `grads` (same structure as `params`)."""
        leaves, rebuild = _flatten(params)
        grad_leaves, _ = _flatten(grads)
        if len(grad_leaves) != len(leaves) or any(np.shape(g) != np.shape(p) for p, g in zip(leaves, grad_leaves)):
            raise ArgumentError("the gradients do not have the structure and shapes of the parameters: "
                                f"{_describe(params)} vs {_describe(grads)}")
        if self._state is None or len(self._state) != len(leaves):
            self._state = [{} for _ in leaves]
        self.steps += 1
        updated = [self._update(np.asarray(p, dtype=np.float64), np.asarray(g, dtype=np.float64), s)
                   for p, g, s in zip(leaves, grad_leaves, self._state)]
        return rebuild(updated)

    def reset(self) -> None:
        """Forget the accumulated state (momenta, moments, step count)."""
        self.steps, self._state = 0, None

    def state_dict(self) -> dict[str, np.ndarray]:
        """The accumulated state as flat arrays (`np.savez` them), for checkpoints."""
        out = {"steps": np.array(self.steps)}
        for k, leaf in enumerate(self._state or []):
            out.update({f"{k}/{name}": np.asarray(value) for name, value in leaf.items()})
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Continue from `state_dict()`'s arrays (the same parameter structure)."""
        self.steps = int(state["steps"])
        leaves: dict[int, dict[str, np.ndarray]] = {}
        for key, value in state.items():
            if key != "steps":
                index, name = key.split("/", 1)
                leaves.setdefault(int(index), {})[name] = np.array(value)
        self._state = [leaves.get(k, {}) for k in range(max(leaves, default=-1) + 1)] or None

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


class GradientDescent(Optimizer):
    """θ ← θ - lr·g."""

    def _update(self, p, g, state):
        return p - self.lr * g


class Momentum(Optimizer):
    """Heavy ball: v ← μ·v + g, θ ← θ - lr·v; with `nesterov`, the step looks ahead: θ - lr·(g + μ·v)."""

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False) -> None:
        super().__init__(lr)
        if not 0 <= momentum < 1:
            raise ArgumentError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), nesterov

    def _update(self, p, g, state):
        v = state["v"] = self.momentum * state.get("v", 0.0) + g
        return p - self.lr * (g + self.momentum * v if self.nesterov else v)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; `lr` 0.01–0.1 suits circuit angles."""

    def __init__(self, lr: float = 0.05, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ArgumentError(f"beta1 and beta2 must be in [0, 1), got {beta1!r} and {beta2!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, p, g, state):
        m = state["m"] = self.beta1 * state.get("m", 0.0) + (1 - self.beta1) * g
        v = state["v"] = self.beta2 * state.get("v", 0.0) + (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1**self.steps)
        v_hat = v / (1 - self.beta2**self.steps)
        return p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class QNG(Optimizer):
    """Quantum natural gradient (Stokes et al. 2020): θ ← θ - lr·(g + lam·I)⁻¹ ∇f.

    g is the metric tensor at the current θ, over every parameter element
    flattened in order (several `param` arguments form one vector, one solve).
    `metric` gives it: a circuit (its `metric_tensor(*params)` for a tuple of
    parameters, `metric_tensor(params)` otherwise, with `approx`), or any
    callable `params -> (P, P) array`; `step(params, grads, metric=array)`
    passes one explicitly instead.  `lam` > 0 keeps the solve well posed
    where g is singular (a gate that does not move the state).
    """

    def __init__(self, lr: float = 0.1, metric: Any = None, lam: float = 1e-3, approx: str = "block-diag") -> None:
        super().__init__(lr)
        if not (isinstance(lam, (int, float)) and np.isfinite(lam) and lam >= 0):
            raise ArgumentError(f"lam must be a non-negative number, got {lam!r}")
        if metric is not None and not callable(metric) and not hasattr(metric, "metric_tensor"):
            raise ArgumentError(f"metric must be a circuit or a callable params -> array, got {metric!r}")
        self.metric, self.lam, self.approx = metric, float(lam), approx

    def step(self, params: Any, grads: Any, metric: Any = None) -> Any:
        """New parameters after one natural-gradient update (same structure as `params`)."""
        leaves, rebuild = _flatten(params)
        grad_leaves, _ = _flatten(grads)
        if len(grad_leaves) != len(leaves) or any(np.shape(g) != np.shape(p) for p, g in zip(leaves, grad_leaves)):
            raise ArgumentError("the gradients do not have the structure and shapes of the parameters: "
                                f"{_describe(params)} vs {_describe(grads)}")
        theta = np.concatenate([np.ravel(np.asarray(p, dtype=np.float64)) for p in leaves])
        gradient = np.concatenate([np.ravel(np.asarray(g, dtype=np.float64)) for g in grad_leaves])
        g = np.asarray(self._metric_at(params) if metric is None else metric, dtype=np.float64)
        if g.shape != (theta.size, theta.size):
            raise ArgumentError(f"the metric has shape {g.shape}, but the parameters have {theta.size} elements; "
                                f"expected ({theta.size}, {theta.size})")
        self.steps += 1
        direction = np.linalg.lstsq(g + self.lam * np.eye(theta.size), gradient, rcond=None)[0]
        return rebuild(_split(theta - self.lr * direction, leaves))

    def _metric_at(self, params: Any) -> Any:
        if self.metric is None:
            raise ArgumentError("QNG needs the metric tensor: QNG(lr, metric=circuit) or step(params, grads, metric=g)")
        if hasattr(self.metric, "metric_tensor"):
            args = params if isinstance(params, tuple) else (params,)
            return self.metric.metric_tensor(*args, approx=self.approx)
        return self.metric(params)


def _split(vector: np.ndarray, like: list[Any]) -> list[np.ndarray]:
    out, at = [], 0
    for leaf in like:
        size = int(np.size(leaf))
        out.append(vector[at:at + size].reshape(np.shape(leaf)))
        at += size
    return out


@dataclass
class OptimizeResult:
    """What `minimize` found: the parameters, their value, and the path there."""

    params: Any
    value: float
    steps: int
    converged: bool
    history: list[float] = field(default_factory=list)


def minimize(value_and_grad: Callable[[Any], tuple[Any, Any]], params: Any, optimizer: Optimizer | None = None,
             steps: int = 100, tol: float | None = None,
             callback: Callable[[int, float, Any], Any] | None = None) -> OptimizeResult:
    """Minimise a scalar function given as `value_and_grad(params) -> (value, grads)`.

    Stops after `steps` updates, or earlier once the value changes by less
    than `tol` between steps; `callback(step, value, params)` returning True
    stops too.  The result holds the best parameters seen, not the last.
    """
    optimizer = optimizer or Adam()
    history: list[float] = []
    best = (np.inf, params)
    for step in range(steps + 1):
        value, grads = value_and_grad(params)
        value = _scalar(value)
        history.append(value)
        if value < best[0]:
            best = (value, params)
        if callback is not None and callback(step, value, params):
            break
        if tol is not None and step and abs(history[-2] - value) < tol:
            return OptimizeResult(best[1], best[0], step, True, history)
        if step < steps:
            params = optimizer.step(params, grads)
    return OptimizeResult(best[1], best[0], len(history) - 1, False, history)


def _scalar(value: Any) -> float:
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ArgumentError(f"minimize needs a scalar value, got shape {array.shape}; "
                            "reduce a batch with a loss (mean, sum) first")
    return float(array.reshape(()))


# --- parameter structures ---------------------------------------------------------------


def _flatten(tree: Any) -> tuple[list[Any], Callable[[list[np.ndarray]], Any]]:
    """Leaves (arrays or numbers) in order, and a function rebuilding the structure from new leaves."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[k]) for k in keys]
        return _joined(parts, lambda values: dict(zip(keys, values)))
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(v) for v in tree]
        return _joined(parts, lambda values: type(tree)(values))
    if np.ndim(tree) == 0 and not isinstance(tree, np.ndarray):
        return [tree], lambda leaves: float(leaves[0])
    return [tree], lambda leaves: leaves[0]


def _joined(parts, make):
    leaves = [leaf for part, _ in parts for leaf in part]
    sizes = [len(part) for part, _ in parts]

    def rebuild(values):
        out, at = [], 0
        for (_, inner), size in zip(parts, sizes):
            out.append(inner(values[at:at + size]))
            at += size
        return make(out)

    return leaves, rebuild


def _describe(tree: Any) -> str:
    leaves, _ = _flatten(tree)
    return "[" + ", ".join(str(np.shape(leaf)) for leaf in leaves) + "]"
