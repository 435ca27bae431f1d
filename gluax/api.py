"""``mx.api``: MXNet's FFI-registered function namespace; it has no public names."""
