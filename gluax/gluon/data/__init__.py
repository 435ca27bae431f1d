"""``mx.gluon.data``: datasets, samplers, DataLoader."""
