from gluax._src.optim import rules_more as _rules_more  # noqa: F401  (registers the optimizers)
