"""``mx.metric``: evaluation metrics computed on the host with NumPy, as MXNet 1.9.1 does.

Importing the package registers every built-in metric, so ``create(name)`` finds them.
"""

from gluax._src.metric import classification as classification
from gluax._src.metric import regression as regression
