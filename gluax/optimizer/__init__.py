"""``mx.optimizer``: optimizers on optax."""
