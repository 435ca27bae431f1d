"""``gluon.loss.CTCLoss``: Connectionist Temporal Classification loss over the ``CTCLoss``
operator, with MXNet 1.9.1's layouts and its blank at the last class."""

from __future__ import annotations

from typing import Any

from gluax._src.loss.core import Loss, _apply_weighting


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss, ``L = -log p(label | pred)`` per sequence.

    ``p(label | pred)`` sums, over every frame-by-frame alignment that collapses to the label
    (merge repeats, then drop blanks), the product of the per-frame softmax probabilities of
    ``pred``. The last class, ``alphabet_size - 1``, is the blank, so labels are
    ``0 .. alphabet_size - 2`` and are padded with ``-1``.

    Parameters
    ----------
    layout : str, default 'NTC'
        Layout of ``pred``: ``'NTC'`` (batch, time, classes) or ``'TNC'``.
    label_layout : str, default 'NT'
        Layout of ``label``: ``'NT'`` (batch, label length) or ``'TN'``. Its batch axis is the
        loss's ``batch_axis``.
    weight : float or None, default None
        Global scalar weight of the loss.

    Inputs
    ------
    pred : (N, T, C) or (T, N, C) unnormalized activations (a softmax is applied inside).
    label : (N, L) or (L, N) class indices padded with ``-1``; ``L <= T``.
    pred_lengths : (N,), optional. Each sequence's number of frames.
    label_lengths : (N,), optional. Each label's length (then padding values are not needed).
    sample_weight : optional, broadcastable to ``(N,)``. Per-sample weights.

    Outputs
    -------
    (N,) loss.

    Raises
    ------
    ValueError
        An unknown ``layout`` or ``label_layout``; inputs whose shapes do not agree (from the
        ``CTCLoss`` operator, naming the shapes).

    Notes
    -----
    MXNet 1.9.1 checks the layouts with ``assert`` (``AssertionError``); gluax raises
    ``ValueError``. A label that cannot fit its frames gets loss 0, as in MXNet (see the
    ``CTCLoss`` operator).

    Examples
    --------
    >>> loss = mx.gluon.loss.CTCLoss()
    >>> pred = mx.nd.zeros((1, 2, 3))        # uniform over 2 labels + blank, 2 frames
    >>> round(float(loss(pred, mx.nd.array([[0, -1]])).asnumpy()[0]), 4)  # -log(3 / 9)
    1.0986
    """

    _fused_remat = False  # (its alignment sums are costly: the backward keeps them)

    def __init__(
        self,
        layout: str = "NTC",
        label_layout: str = "NT",
        weight: float | None = None,
        **kwargs: Any,
    ) -> None:
        if layout not in ("NTC", "TNC"):
            raise ValueError(
                f"CTCLoss: only 'NTC' and 'TNC' layouts are supported for pred, got {layout!r}."
            )
        if label_layout not in ("NT", "TN"):
            raise ValueError(
                "CTCLoss: only 'NT' and 'TN' layouts are supported for label, got "
                f"{label_layout!r}."
            )
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(
        self,
        F: Any,
        pred: Any,
        label: Any,
        pred_lengths: Any = None,
        label_lengths: Any = None,
        sample_weight: Any = None,
    ) -> Any:
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(
            pred,
            label,
            pred_lengths,
            label_lengths,
            use_data_lengths=pred_lengths is not None,
            use_label_lengths=label_lengths is not None,
            blank_label="last",
        )
        return _apply_weighting(F, loss, self._weight, sample_weight)
