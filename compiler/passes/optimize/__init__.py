"""Transforms that reduce gate counts while keeping every angle an exact symbolic `Expr`."""
