# fakelib imports ``mxnet``: it is imported only under gluax.install_as_mxnet() (test_alias.py)
collect_ignore = ["fakelib"]
