"""Typed functions that perform writes and own the commit; views call these."""
