"""Optimization passes over the Circuit IR, and the pass manager that runs them.

    from qdl.compiler.passes import PassManager, optimize_module
    module = optimize_module(module, opt_level=2)
    module = PassManager.from_text("cancel-inverse-pairs,fold-angles{tol=1e-12}",
                                   verify_each=True).run(module)

Layout (one pass per file): `manager` (registry, pipelines, presets),
`verify` (the IR verifier), `analysis/` (facts: stats, the commutation DAG),
`optimize/` (transforms), `lower/` (rewrites into smaller gate sets).
docs/passes.md lists the passes.
"""

from qdl.compiler.passes.analysis.stats import Stats, circuit_stats, module_stats
from qdl.compiler.passes.manager import (
    PRESETS, REGISTRY, CircuitPass, ModulePass, PassContext, PassManager, PassRecord, PipelineError,
    format_records, optimize_module, parse_pipeline, pipeline_for, register_pass,
)
from qdl.compiler.passes.verify import VerifyError, verify, verify_or_raise

# Importing the pass modules registers them.
from qdl.compiler.passes.optimize import (  # noqa: E402,F401  (registration side effects)
    cancel_inverse_pairs, consolidate_2q, elide_swaps, fold_angles, light_cone, merge_rotations, release_qubits,
    remove_diagonal_before_measure, resynthesize_1q,
)
from qdl.compiler.passes.lower import multi_qubit, to_cx, to_native  # noqa: E402,F401
from qdl.compiler.passes.route import layout, routing  # noqa: E402,F401


__all__ = ["PRESETS", "REGISTRY", "CircuitPass", "ModulePass", "PassContext", "PassManager", "PassRecord",
           "PipelineError", "Stats", "VerifyError", "circuit_stats", "format_records", "module_stats",
           "optimize_module", "parse_pipeline", "pipeline_for", "register_pass", "verify", "verify_or_raise"]
