"""Automatic differentiation: gradient programs from the Circuit IR.

`gradient_program(circuit, wrt)` is the AD pass; `format_gradient_program`
prints its result (`qdlc compile --emit grad`); `shift_rules` derives the
parameter-shift rules from the gate table's generator spectra; `light_cone`
finds the ops that can influence a result; `hessian` builds the deduplicated
second-order program; `metric` the block-diagonal metric tensor of the
quantum natural gradient (`format_metric_program` prints it); `linearize` holds the IR rewrites runners need
(linear results, shifted angles).  Running a program is the runtime's job
(`qdl.runtime.gradients`, `qdl.runtime.adjoint`).
"""

from qdl.compiler.autodiff.errors import AutodiffError
from qdl.compiler.autodiff.metric import MetricBlock, MetricProgram, MetricSlot, metric_program
from qdl.compiler.autodiff.program import (
    GradientProgram, Partial, PrunedSlot, Slot, differentiable_arguments, gradient_program,
)
from qdl.compiler.autodiff.shift_rules import GRADIENT_RULES, ShiftRule, ShiftTerm, shift_rule
from qdl.compiler.autodiff.text import format_gradient_program, format_metric_program

__all__ = ["AutodiffError", "GradientProgram", "Partial", "PrunedSlot", "Slot", "ShiftRule", "ShiftTerm",
           "GRADIENT_RULES", "differentiable_arguments", "gradient_program", "shift_rule",
           "format_gradient_program", "MetricBlock", "MetricProgram", "MetricSlot", "metric_program",
           "format_metric_program"]
