"""The Lark grammars of qdl (package data)."""
