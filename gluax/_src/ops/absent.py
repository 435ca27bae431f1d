"""The MXNet 1.9.1 ``mx.nd`` operators gluax does not implement, each with its reason.

Every name MXNet 1.9.1 places in ``mx.nd`` (``tests/fixtures/op_names/op_names.json``) is
either a gluax operator or a key of :data:`ABSENT`; ``tests/ops/test_op_coverage.py`` checks
that nothing is missing from both and nothing is in both. Keys are MXNet's public names:
``FullyConnected`` for ``mx.nd.X``, ``_plus_scalar`` for ``mx.nd._internal.X``, and
``contrib.quantize`` / ``sparse.retain`` / ``random.gamma`` for the sub-namespaces.

Asking gluax for one of these names raises :class:`AbsentOperatorError` (an AttributeError,
so ``hasattr(mx.nd, name)`` stays False as it must, and a NotImplementedError) whose message
gives the reason and what to use instead. ``docs/operators.md`` is generated from this table
by ``tools/make_op_table.py``.
"""

from __future__ import annotations

from gluax._src.engine.namespace import declare_absent

SPARSE = "sparse storage"
DEPRECATED = "deprecated in MXNet"
BACKEND = "hardware/backend-specific"
INTERNAL = "internal to MXNet's engine, not called by user code"
RUNTIME = "MXNet runtime feature"
OPTIMIZER = "fused optimizer kernel"
NOT_YET = "not yet implemented"

REASONS = (NOT_YET, DEPRECATED, SPARSE, BACKEND, OPTIMIZER, RUNTIME, INTERNAL)

ABSENT: dict[str, tuple[str, str]] = {}


def _add(reason: str, alternative: str, names: str) -> None:
    for n in names.split():
        if n in ABSENT:
            raise ValueError(f"absent operator {n!r} listed twice")
        ABSENT[n] = (reason, alternative)


# --- Not yet implemented: none left (the detection, deformable and signal operators landed). --

# --- Deprecated in MXNet 1.x itself. ----------------------------------------------------------
_add(DEPRECATED, "mx.nd.BatchNorm", "BatchNorm_v1")
_add(DEPRECATED, "mx.nd.Convolution", "Convolution_v1")
_add(DEPRECATED, "mx.nd.Pooling", "Pooling_v1")
_add(DEPRECATED, "mx.nd.slice or mx.nd.slice_like", "Crop")
_add(DEPRECATED, "mx.nd.one_hot", "_onehot_encode")

# --- Sparse storage (row_sparse / csr): gluax arrays are dense. ------------------------------
_add(SPARSE, "dense arrays (gluax has no sparse storage types)",
     "cast_storage sparse.cast_storage _square_sum")
_add(SPARSE, "mx.nd.array (dense)", "sparse.array sparse.csr_matrix sparse.row_sparse_array")
_add(SPARSE, "mx.nd.take on the rows to keep", "sparse.retain")
_add(SPARSE, "mx.nd.Embedding (dense gradient)", "contrib.SparseEmbedding")
_add(SPARSE, "x.shape and mx.nd.sum(x != 0)", "contrib.getnnz")
_add(SPARSE, "a graph library with its own JAX backend (these are CSR graph kernels)",
     "contrib.dgl_adjacency contrib.dgl_csr_neighbor_non_uniform_sample "
     "contrib.dgl_csr_neighbor_uniform_sample contrib.dgl_graph_compact contrib.dgl_subgraph "
     "contrib.edge_id")
_add(SPARSE, "mx.gluon.Trainer with a dense optimizer from mx.optimizer",
     "sparse.adagrad_update sparse.adam_update sparse.ftrl_update sparse.sgd_mom_update "
     "sparse.sgd_update")
_add(SPARSE, "mx.nd.elemwise_div, mx.nd.elemwise_sub and mx.nd.elemwise_add (dense)",
     "_scatter_elemwise_div _scatter_minus_scalar _scatter_plus_scalar")
for _short, _dense in (("_contrib_round_ste", "_contrib_round_ste"),
                       ("_contrib_sign_ste", "_contrib_sign_ste")):
    _add(SPARSE, f"mx.nd.{_dense} on a dense array", f"sparse.{_short}")
for _short in (
    "ElementWiseSum Embedding FullyConnected LinearRegressionOutput LogisticRegressionOutput "
    "MAERegressionOutput abs add add_n arccos arccosh arcsin arcsinh arctan arctanh "
    "broadcast_add broadcast_div broadcast_minus broadcast_mul broadcast_plus broadcast_sub "
    "cbrt ceil clip concat cos cosh degrees divide dot elemwise_add elemwise_div elemwise_mul "
    "elemwise_sub empty exp expm1 fix floor gamma gammaln log log10 log1p log2 make_loss mean "
    "multiply negative norm radians relu rint round rsqrt sigmoid sign sin sinh slice sqrt "
    "square stop_gradient subtract sum tan tanh trunc where zeros zeros_like"
).split():
    _add(SPARSE, f"mx.nd.{_short} on a dense array", f"sparse.{_short}")

# --- Hardware/backend-specific kernels. -------------------------------------------------------
_add(BACKEND, "float32/bfloat16 operators (int8 quantization is a backend concern; XLA "
     "chooses the kernels)",
     "contrib.quantize contrib.quantize_asym contrib.quantize_v2 contrib.dequantize "
     "contrib.requantize contrib.calibrate_entropy contrib.quantized_act "
     "contrib.quantized_batch_norm contrib.quantized_concat contrib.quantized_conv "
     "contrib.quantized_elemwise_add contrib.quantized_elemwise_mul contrib.quantized_embedding "
     "contrib.quantized_flatten contrib.quantized_fully_connected contrib.quantized_pooling "
     "contrib.quantized_rnn")
_add(BACKEND, "mx.nd.Convolution (XLA fuses what the MKLDNN subgraph fused)", "_sg_mkldnn_conv")
_add(BACKEND, "mx.nd.FullyConnected (XLA fuses what the MKLDNN subgraph fused)",
     "_sg_mkldnn_fully_connected")
_add(BACKEND, "mx.nd.interleaved_matmul_selfatt_qk", "_sg_mkldnn_selfatt_qk")
_add(BACKEND, "mx.nd.interleaved_matmul_selfatt_valatt", "_sg_mkldnn_selfatt_valatt")
_add(BACKEND, "mx.nd.BatchNorm followed by mx.nd.relu (oneDNN fusion; XLA fuses it)",
     "contrib.BatchNormWithReLU")
_add(BACKEND, "decode with PIL or OpenCV in Python and wrap with mx.nd.array; resize with "
     "mx.nd.image.resize",
     "_cvimdecode _cvimread _cvimresize _cvcopyMakeBorder _imdecode")

# --- Fused optimizer kernels: gluax's optimizers are optax transformations. -----------------
_add(OPTIMIZER, "mx.gluon.Trainer with the matching mx.optimizer class (optax update rules "
     "reproducing MXNet's)",
     "sgd_update sgd_mom_update mp_sgd_update mp_sgd_mom_update multi_sgd_update "
     "multi_sgd_mom_update multi_mp_sgd_update multi_mp_sgd_mom_update "
     "preloaded_multi_sgd_update preloaded_multi_sgd_mom_update preloaded_multi_mp_sgd_update "
     "preloaded_multi_mp_sgd_mom_update nag_mom_update mp_nag_mom_update adam_update "
     "ftml_update ftrl_update rmsprop_update rmspropalex_update signsgd_update signum_update "
     "lamb_update_phase1 lamb_update_phase2 mp_lamb_update_phase1 mp_lamb_update_phase2 "
     "multi_lars multi_sum_sq _adamw_update _mp_adamw_update _multi_adamw_update "
     "_multi_mp_adamw_update _multi_lamb_update _multi_mp_lamb_update contrib.adamw_update "
     "contrib.mp_adamw_update contrib.multi_adamw_update contrib.multi_mp_adamw_update "
     "contrib.multi_lamb_update contrib.multi_mp_lamb_update contrib.group_adagrad_update")

# --- MXNet runtime features with a different shape in JAX. ----------------------------------
_add(RUNTIME, "a HybridBlock of gluax operators; for a hand-written gradient, jax.custom_vjp",
     "_NDArray _Native")
_add(RUNTIME, "HybridBlock.hybridize() (one jax.jit per input signature)",
     "_CachedOp _CachedOpThreadSafe")

# --- Internal: what MXNet's engine, NDArray methods or autograd call, not user code. --------
_add(INTERNAL, "NDArray.copyto or NDArray.as_in_context", "_CrossDeviceCopy _copyto")
_add(INTERNAL, "mx.nd.stop_gradient", "_NoGradient")
_add(INTERNAL, "mx.autograd.Function (gluax records it on the tape directly)", "_CustomFunction")
_add(INTERNAL, "grad_req='add' on the Parameter or in attach_grad", "_grad_add")
_add(INTERNAL, "mx.nd.identity", "_identity_with_attr_like_rhs")
_add(INTERNAL, "mx.nd.concat", "_rnn_param_concat")
_add(INTERNAL, "x[key] = value or mx.nd.scatter_nd", "_scatter_set_nd")
_add(INTERNAL, "x[:] = value", "_set_value")
_add(INTERNAL, "mx.nd.zeros", "_zeros_without_dtype")
_add(INTERNAL, "mx.nd.split_v2", "_split_v2")
_add(INTERNAL, "mx.nd.contrib.foreach", "_foreach")
_add(INTERNAL, "mx.nd.contrib.while_loop", "_while_loop")
_add(INTERNAL, "mx.nd.contrib.cond", "_cond")
# MXNet's CamelCase spellings of the binary operators, used by old symbol files.
for _camel, _op in (
    ("_Plus", "_plus"), ("_Minus", "_minus"), ("_Mul", "_mul"), ("_Div", "_div"),
    ("_Mod", "_mod"), ("_Power", "_power"), ("_Maximum", "_maximum"), ("_Minimum", "_minimum"),
    ("_Hypot", "_hypot"), ("_Equal", "_equal"), ("_Not_Equal", "_not_equal"),
    ("_Greater", "_greater"), ("_Greater_Equal", "_greater_equal"), ("_Lesser", "_lesser"),
    ("_Lesser_Equal", "_lesser_equal"), ("_Logical_And", "_logical_and"),
    ("_Logical_Or", "_logical_or"), ("_Logical_Xor", "_logical_xor"),
):
    _add(INTERNAL, f"mx.nd.{_op}", _camel)
# Scalar forms of the binary operators: NDArray arithmetic with a Python number calls them in
# MXNet; gluax's operators and NDArray methods take the number directly.
for _expr, _names in (
    ("x + s", "_plus_scalar _PlusScalar"), ("x - s", "_minus_scalar _MinusScalar"),
    ("s - x", "_rminus_scalar _RMinusScalar"), ("x * s", "_mul_scalar _MulScalar"),
    ("x / s", "_div_scalar _DivScalar"), ("s / x", "_rdiv_scalar _RDivScalar"),
    ("x % s", "_mod_scalar _ModScalar"), ("s % x", "_rmod_scalar _RModScalar"),
    ("x ** s", "_power_scalar _PowerScalar"), ("s ** x", "_rpower_scalar _RPowerScalar"),
    ("x == s", "_equal_scalar _EqualScalar"), ("x != s", "_not_equal_scalar _NotEqualScalar"),
    ("x > s", "_greater_scalar _GreaterScalar"),
    ("x >= s", "_greater_equal_scalar _GreaterEqualScalar"),
    ("x < s", "_lesser_scalar _LesserScalar"),
    ("x <= s", "_lesser_equal_scalar _LesserEqualScalar"),
    ("mx.nd.maximum(x, s)", "_maximum_scalar _MaximumScalar"),
    ("mx.nd.minimum(x, s)", "_minimum_scalar _MinimumScalar"),
    ("mx.nd.hypot(x, s)", "_hypot_scalar _HypotScalar"),
    ("mx.nd.logical_and(x, s)", "_logical_and_scalar _LogicalAndScalar"),
    ("mx.nd.logical_or(x, s)", "_logical_or_scalar _LogicalOrScalar"),
    ("mx.nd.logical_xor(x, s)", "_logical_xor_scalar _LogicalXorScalar"),
):
    _add(INTERNAL, f"{_expr} with a Python number s", _names)

# Gradient operators MXNet registers for its own backward pass.
_GRAD = "autograd (x.attach_grad(), autograd.record(), y.backward()) or jax.grad"
_add(INTERNAL, _GRAD, "_broadcast_backward _split_v2_backward contrib.backward_gradientmultiplier "
     "contrib.backward_hawkesll contrib.backward_index_copy contrib.backward_quadratic")
_add(INTERNAL, _GRAD, " ".join("_backward_" + n for n in """
Activation BatchNorm BatchNorm_v1 BilinearSampler CachedOp Concat Convolution Convolution_v1
Correlation Crop Custom CustomFunction Deconvolution Dropout Embedding FullyConnected
GridGenerator GroupNorm IdentityAttachKLSparseReg InstanceNorm L2Normalization LRN LayerNorm
LeakyReLU MakeLoss Pad Pooling Pooling_v1 RNN ROIAlign ROIPooling RROIAlign SVMOutput
SequenceLast SequenceMask SequenceReverse SliceChannel SoftmaxActivation SoftmaxOutput
SparseEmbedding SpatialTransformer SwapAxis UpSampling _CrossDeviceCopy _NDArray _Native
_contrib_DeformableConvolution _contrib_DeformablePSROIPooling
_contrib_ModulatedDeformableConvolution _contrib_MultiBoxDetection _contrib_MultiBoxPrior
_contrib_MultiBoxTarget _contrib_MultiProposal _contrib_PSROIPooling _contrib_Proposal
_contrib_SyncBatchNorm _contrib_count_sketch _contrib_fft _contrib_ifft abs add amp_cast
amp_multicast arccos arccosh arcsin arcsinh arctan arctanh backward_FullyConnected
broadcast_add broadcast_div broadcast_exponential broadcast_gumbel broadcast_hypot
broadcast_logistic broadcast_maximum broadcast_minimum broadcast_mod broadcast_mul
broadcast_normal broadcast_pareto broadcast_power broadcast_rayleigh broadcast_sub
broadcast_weibull cast cbrt clip col2im cond contrib_AdaptiveAvgPooling2D
contrib_BatchNormWithReLU contrib_BilinearResize2D contrib_bipartite_matching
contrib_boolean_mask contrib_box_iou contrib_box_nms copy cos cosh ctc_loss degrees diag div
div_scalar dot erf erfinv expm1 foreach gamma gammaln gather_nd hard_sigmoid hypot
hypot_scalar im2col image_crop image_normalize interleaved_matmul_encdec_qk
interleaved_matmul_encdec_valatt interleaved_matmul_selfatt_qk
interleaved_matmul_selfatt_valatt linalg_det linalg_extractdiag linalg_extracttrian
linalg_gelqf linalg_gemm linalg_gemm2 linalg_inverse linalg_makediag linalg_maketrian
linalg_potrf linalg_potri linalg_slogdet linalg_sumlogdiag linalg_syevd linalg_syrk
linalg_trmm linalg_trsm linear_reg_out log log10 log1p log2 log_softmax logistic_reg_out
mae_reg_out max maximum maximum_scalar mean min minimum minimum_scalar mod mod_scalar
moments mul mul_scalar nanprod nansum norm np_average np_broadcast_to np_column_stack
np_concat np_cumsum np_diag np_diagflat np_diagonal np_dot np_dstack np_hstack np_matmul
np_max np_mean np_min np_prod np_sum np_trace np_vstack np_where np_where_lscalar
np_where_rscalar npi_arctan2 npi_arctan2_scalar npi_broadcast_add npi_broadcast_div
npi_broadcast_mod npi_broadcast_mul npi_broadcast_power npi_broadcast_sub npi_copysign
npi_copysign_scalar npi_diff npi_einsum npi_flip npi_hypot npi_ldexp npi_ldexp_scalar
npi_norm npi_pad npi_rarctan2_scalar npi_rcopysign_scalar npi_rldexp_scalar npi_solve
npi_svd npi_tensordot npi_tensordot_int_axes npi_tensorinv npi_tensorsolve pdf_dirichlet
pdf_exponential pdf_gamma pdf_generalized_negative_binomial pdf_negative_binomial pdf_normal
pdf_poisson pdf_uniform pick power power_scalar prod radians rcbrt rdiv_scalar reciprocal
relu repeat reshape reverse rmod_scalar rpower_scalar rsqrt sample_multinomial sigmoid sign
sin sinh slice slice_axis slice_like smooth_l1 softmax softmax_cross_entropy softmin
softsign sparse_retain sqrt square square_sum squeeze stack sub sum take tan tanh tile topk
tril where while_loop
""".split()))

declare_absent(ABSENT)
