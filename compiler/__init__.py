"""The qdl compiler: front end, IR, passes."""
