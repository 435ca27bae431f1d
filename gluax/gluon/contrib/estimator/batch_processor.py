"""``mx.gluon.contrib.estimator.batch_processor``: fit_batch / evaluate_batch hooks."""

from gluax._src.estimator.batch_processor import BatchProcessor as BatchProcessor
