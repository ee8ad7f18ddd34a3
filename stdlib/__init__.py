"""The qdl standard library, written in qdl (std/*.qdl)."""
