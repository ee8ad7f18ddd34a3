"""Analyses: passes' read-only questions about IR (statistics, which ops matter)."""
