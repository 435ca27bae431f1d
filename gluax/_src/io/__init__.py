"""Data iterators (``mx.io``), ``mx.contrib.io.DataLoaderIter`` and ``mx.test_utils``."""
