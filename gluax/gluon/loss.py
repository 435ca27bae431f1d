"""``mx.gluon.loss``: loss functions."""
