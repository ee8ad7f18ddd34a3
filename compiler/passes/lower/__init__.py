"""Lowering passes: gates rewritten into a smaller gate set, exactly (symbolic angles kept)."""
