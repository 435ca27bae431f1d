"""MXNet's small modules and compatibility layers: ``mx.base``, ``mx.util``, ``mx.registry``,
``mx.runtime``, ``mx.contrib.amp``, the ``mxnet`` import alias and the table of MXNet names
gluax does not have (``absent.py``). Top tier: it may import any other tier."""
