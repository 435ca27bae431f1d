"""``mx.test_utils``: comparison, gradient-check and data helpers for tests (MXNet 1.9.1's names)."""

import bz2 as bz2
import errno as errno
import gzip as gzip
import json as json
import logging as logging
import numbers as numbers
import os as os
import platform as platform
import struct as struct
import sys as sys
import time as time
import traceback as traceback
import zipfile as zipfile
from collections import OrderedDict as OrderedDict
from contextlib import contextmanager as contextmanager

import numpy as np  # noqa: F401  (MXNet's test_utils leaks these names)
import numpy.random as rnd  # noqa: F401
import numpy.testing as npt  # noqa: F401

import gluax as mx  # noqa: F401
from gluax._src.compat.test_utils_extra import __getattr__ as __getattr__
from gluax._src.engine.context import Context as Context
from gluax._src.engine.context import current_context as current_context
from gluax._src.io.test_utils import DummyIter as DummyIter
from gluax._src.io.test_utils import _find_max_violation as _find_max_violation
from gluax._src.io.test_utils import _parse_aux_states as _parse_aux_states
from gluax._src.io.test_utils import _parse_location as _parse_location
from gluax._src.io.test_utils import _sorted_dict as _sorted_dict
from gluax._src.io.test_utils import _sorted_items as _sorted_items
from gluax._src.io.test_utils import almost_equal as almost_equal
from gluax._src.io.test_utils import assert_allclose as assert_allclose
from gluax._src.io.test_utils import assert_almost_equal as assert_almost_equal
from gluax._src.io.test_utils import (
    assert_almost_equal_ignore_nan as assert_almost_equal_ignore_nan,
)
from gluax._src.io.test_utils import assert_almost_equal_with_err as assert_almost_equal_with_err
from gluax._src.io.test_utils import assert_exception as assert_exception
from gluax._src.io.test_utils import assign_each as assign_each
from gluax._src.io.test_utils import assign_each2 as assign_each2
from gluax._src.io.test_utils import check_consistency as check_consistency
from gluax._src.io.test_utils import (
    check_gluon_hybridize_consistency as check_gluon_hybridize_consistency,
)
from gluax._src.io.test_utils import check_numeric_gradient as check_numeric_gradient
from gluax._src.io.test_utils import check_speed as check_speed
from gluax._src.io.test_utils import check_symbolic_backward as check_symbolic_backward
from gluax._src.io.test_utils import check_symbolic_forward as check_symbolic_forward
from gluax._src.io.test_utils import checkShapes as checkShapes
from gluax._src.io.test_utils import chi_square_check as chi_square_check
from gluax._src.io.test_utils import collapse_sum_like as collapse_sum_like
from gluax._src.io.test_utils import compare_ndarray_tuple as compare_ndarray_tuple
from gluax._src.io.test_utils import compare_optimizer as compare_optimizer
from gluax._src.io.test_utils import create_2d_tensor as create_2d_tensor
from gluax._src.io.test_utils import create_sparse_array as create_sparse_array
from gluax._src.io.test_utils import create_sparse_array_zd as create_sparse_array_zd
from gluax._src.io.test_utils import create_vector as create_vector
from gluax._src.io.test_utils import default_atols as default_atols
from gluax._src.io.test_utils import default_context as default_context
from gluax._src.io.test_utils import default_dtype as default_dtype
from gluax._src.io.test_utils import default_numeric_eps as default_numeric_eps
from gluax._src.io.test_utils import default_rtols as default_rtols
from gluax._src.io.test_utils import discard_stderr as discard_stderr
from gluax._src.io.test_utils import download as download
from gluax._src.io.test_utils import download_model as download_model
from gluax._src.io.test_utils import effective_dtype as effective_dtype
from gluax._src.io.test_utils import environment as environment
from gluax._src.io.test_utils import gen_buckets_probs_with_ppf as gen_buckets_probs_with_ppf
from gluax._src.io.test_utils import get_atol as get_atol
from gluax._src.io.test_utils import get_bz2_data as get_bz2_data
from gluax._src.io.test_utils import get_cifar10 as get_cifar10
from gluax._src.io.test_utils import get_etol as get_etol
from gluax._src.io.test_utils import get_identity_mat as get_identity_mat
from gluax._src.io.test_utils import get_identity_mat_batch as get_identity_mat_batch
from gluax._src.io.test_utils import get_im2rec_path as get_im2rec_path
from gluax._src.io.test_utils import get_mnist as get_mnist
from gluax._src.io.test_utils import get_mnist_iterator as get_mnist_iterator
from gluax._src.io.test_utils import get_mnist_pkl as get_mnist_pkl
from gluax._src.io.test_utils import get_mnist_ubyte as get_mnist_ubyte
from gluax._src.io.test_utils import get_rtol as get_rtol
from gluax._src.io.test_utils import get_tolerance as get_tolerance
from gluax._src.io.test_utils import get_tols as get_tols
from gluax._src.io.test_utils import get_zip_data as get_zip_data
from gluax._src.io.test_utils import has_tvm_ops as has_tvm_ops
from gluax._src.io.test_utils import is_aarch64_run as is_aarch64_run
from gluax._src.io.test_utils import is_cd_run as is_cd_run
from gluax._src.io.test_utils import is_op_runnable as is_op_runnable
from gluax._src.io.test_utils import list_gpus as list_gpus
from gluax._src.io.test_utils import locationError as locationError
from gluax._src.io.test_utils import mean_check as mean_check
from gluax._src.io.test_utils import (
    new_matrix_with_real_eigvals_2d as new_matrix_with_real_eigvals_2d,
)
from gluax._src.io.test_utils import (
    new_matrix_with_real_eigvals_nd as new_matrix_with_real_eigvals_nd,
)
from gluax._src.io.test_utils import new_orthonormal_matrix_2d as new_orthonormal_matrix_2d
from gluax._src.io.test_utils import (
    new_sym_matrix_with_real_eigvals_2d as new_sym_matrix_with_real_eigvals_2d,
)
from gluax._src.io.test_utils import (
    new_sym_matrix_with_real_eigvals_nd as new_sym_matrix_with_real_eigvals_nd,
)
from gluax._src.io.test_utils import np_reduce as np_reduce
from gluax._src.io.test_utils import numeric_grad as numeric_grad
from gluax._src.io.test_utils import rand_coord_2d as rand_coord_2d
from gluax._src.io.test_utils import rand_ndarray as rand_ndarray
from gluax._src.io.test_utils import rand_shape_2d as rand_shape_2d
from gluax._src.io.test_utils import rand_shape_3d as rand_shape_3d
from gluax._src.io.test_utils import rand_shape_nd as rand_shape_nd
from gluax._src.io.test_utils import rand_sparse_ndarray as rand_sparse_ndarray
from gluax._src.io.test_utils import random_arrays as random_arrays
from gluax._src.io.test_utils import random_sample as random_sample
from gluax._src.io.test_utils import random_uniform_arrays as random_uniform_arrays
from gluax._src.io.test_utils import retry as retry
from gluax._src.io.test_utils import same as same
from gluax._src.io.test_utils import same_array as same_array
from gluax._src.io.test_utils import same_symbol_structure as same_symbol_structure
from gluax._src.io.test_utils import set_default_context as set_default_context
from gluax._src.io.test_utils import shuffle_csr_column_indices as shuffle_csr_column_indices
from gluax._src.io.test_utils import simple_forward as simple_forward
from gluax._src.io.test_utils import var_check as var_check
from gluax._src.io.test_utils import verify_generator as verify_generator
from gluax._src.ops.creation import array as array
from gluax.runtime import Features as Features
from gluax.symbol import Symbol as Symbol
from gluax.util import get_cuda_compute_capability as get_cuda_compute_capability
from gluax.util import getenv as getenv
from gluax.util import setenv as setenv
from gluax.util import use_np as use_np
