"""qdl: a differentiable quantum programming language."""
