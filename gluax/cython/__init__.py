"""``mx.cython``: MXNet's Cython build of its C calls; gluax has no C library (no names)."""
