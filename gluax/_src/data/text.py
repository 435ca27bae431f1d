"""Word-level language-model data sets read from local files (``gluon.contrib.data.text``).

``WikiText2`` / ``WikiText103`` read the ``wiki.{train,valid,test}.tokens`` files of the
WikiText archives; gluax never downloads them. The vocabulary is MXNet 1.9's
``contrib.text.vocab.Vocabulary``: the unknown token, the reserved tokens, then the tokens by
falling frequency (ties in string order).
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from gluax._src.data.dataset import Dataset, as_item
from gluax._src.data.vision.datasets import data_dir

EOS_TOKEN = "<eos>"


def count_tokens_from_str(
    source_str: str,
    token_delim: str = " ",
    seq_delim: str = "\n",
    to_lower: bool = False,
    counter_to_update: collections.Counter | None = None,
) -> collections.Counter:
    """Token counts of ``source_str`` split at ``token_delim`` and ``seq_delim``.

    Examples
    --------
    >>> sorted(count_tokens_from_str("a b\\nb c  b").items())
    [('a', 1), ('b', 3), ('c', 1)]
    """
    tokens = [
        t for t in re.split(re.escape(token_delim) + "|" + re.escape(seq_delim), source_str) if t
    ]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    counter = collections.Counter() if counter_to_update is None else counter_to_update
    counter.update(tokens)
    return counter


class Vocabulary:
    """Token <-> index map built from a token counter (MXNet's ``contrib.text.vocab``).

    Index 0 is ``unknown_token``, then ``reserved_tokens``, then the counted tokens by falling
    frequency (ties in string order), keeping at most ``most_freq_count`` of those seen at
    least ``min_freq`` times.

    Parameters
    ----------
    counter : collections.Counter, default None
    most_freq_count : int, default None
    min_freq : int, default 1
    unknown_token : str, default '<unk>'
    reserved_tokens : list of str, default None

    Examples
    --------
    >>> v = Vocabulary(count_tokens_from_str("b a b"), reserved_tokens=["<eos>"])
    >>> v.idx_to_token, v.to_indices(["a", "zz"])
    (['<unk>', '<eos>', 'b', 'a'], [3, 0])
    """

    def __init__(
        self,
        counter: collections.Counter | None = None,
        most_freq_count: int | None = None,
        min_freq: int = 1,
        unknown_token: str = "<unk>",
        reserved_tokens: list[str] | None = None,
    ) -> None:
        if min_freq < 1:
            raise ValueError(f"Vocabulary: min_freq must be at least 1, got {min_freq}.")
        reserved = list(reserved_tokens or [])
        if unknown_token in reserved or len(set(reserved)) != len(reserved):
            raise ValueError(
                "Vocabulary: reserved_tokens must be distinct and must not contain the "
                f"unknown token {unknown_token!r}, got {reserved!r}."
            )
        self._unknown_token = unknown_token
        self._reserved_tokens = reserved or None
        self._idx_to_token = [unknown_token, *reserved]
        if counter is not None:
            skip = set(self._idx_to_token)
            freqs = sorted(counter.items(), key=lambda kv: kv[0])
            freqs.sort(key=lambda kv: kv[1], reverse=True)
            limit = len(counter) if most_freq_count is None else most_freq_count
            kept = [t for t, f in freqs if f >= min_freq and t not in skip][:limit]
            self._idx_to_token.extend(kept)
        self._token_to_idx = {t: i for i, t in enumerate(self._idx_to_token)}

    def __len__(self) -> int:
        return len(self._idx_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self._token_to_idx

    @property
    def idx_to_token(self) -> list[str]:
        """The tokens, by index."""
        return self._idx_to_token

    @property
    def token_to_idx(self) -> dict[str, int]:
        """The index of each token."""
        return self._token_to_idx

    @property
    def unknown_token(self) -> str:
        """The token at index 0, standing for every token not in the vocabulary."""
        return self._unknown_token

    @property
    def reserved_tokens(self) -> list[str] | None:
        """The reserved tokens (indices 1..), or None."""
        return self._reserved_tokens

    def to_indices(self, tokens: str | Iterable[str]) -> int | list[int]:
        """Index of a token, or the indices of a list of tokens (0 for unknown ones)."""
        if isinstance(tokens, str):
            return self._token_to_idx.get(tokens, 0)
        return [self._token_to_idx.get(t, 0) for t in tokens]

    def to_tokens(self, indices: int | Iterable[int]) -> str | list[str]:
        """Token of an index, or the tokens of a list of indices."""
        n = len(self._idx_to_token)
        single = isinstance(indices, (int, np.integer))
        out = []
        for i in [indices] if single else indices:
            if not 0 <= int(i) < n:
                raise ValueError(f"Vocabulary.to_tokens: index {i} is not in [0, {n}).")
            out.append(self._idx_to_token[int(i)])
        return out[0] if single else out


class _WikiText(Dataset):
    """Samples of ``seq_len`` token ids and the same ids shifted by one (the next tokens)."""

    _name = ""
    _archive = ""

    def __init__(self, root: str, segment: str, vocab: Vocabulary | None, seq_len: int) -> None:
        files = {
            "train": "wiki.train.tokens",
            "validation": "wiki.valid.tokens",
            "test": "wiki.test.tokens",
        }
        if segment not in files:
            raise ValueError(
                f"{self._name}: segment must be one of {sorted(files)}, got {segment!r}."
            )
        if seq_len < 1:
            raise ValueError(f"{self._name}: seq_len must be at least 1, got {seq_len}.")
        self._root = os.path.expanduser(root)
        self._segment, self._seq_len = segment, seq_len
        self._vocab = vocab
        self._counter: collections.Counter | None = None
        path = os.path.join(self._root, files[segment])
        if not os.path.isfile(path):
            where = "" if os.path.isdir(self._root) else " (the folder does not exist)"
            raise FileNotFoundError(
                f"{self._name}: cannot find {files[segment]} in '{self._root}'{where}. gluax "
                f"does not download data sets: unzip {self._archive} (it holds "
                f"{', '.join(files.values())}) there, or pass root=<folder with the files>."
            )
        data, label = self._read_batch(path)
        n = len(data) // seq_len * seq_len  # MXNet drops the tail that fills no sample
        self._data = data[:n].reshape(-1, seq_len)
        self._label = label[:n].reshape(-1, seq_len)

    @property
    def vocabulary(self) -> Vocabulary:
        """The vocabulary indexing the tokens (built from the file unless one was given)."""
        return self._vocab  # type: ignore[return-value]

    @property
    def frequencies(self) -> collections.Counter | None:
        """Token counts of the file (None when a vocabulary was given)."""
        return self._counter

    def _read_batch(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        with open(path, encoding="utf8") as f:
            content = f.read()
        if self._vocab is None:
            self._counter = count_tokens_from_str(content)
            self._vocab = Vocabulary(counter=self._counter, reserved_tokens=[EOS_TOKEN])
        lines = [line.split() for line in content.splitlines()]
        tokens = [t for line in lines if line for t in [*line, EOS_TOKEN]]
        ids = np.asarray(self._vocab.to_indices(tokens), dtype=np.int32)
        return ids[:-1], ids[1:]

    def __getitem__(self, idx: int) -> Any:
        return as_item(self._data[idx]), as_item(self._label[idx])

    def __len__(self) -> int:
        return len(self._label)


class WikiText2(_WikiText):
    """WikiText-2 (word level) for language modeling, read from local files.

    Every line of the segment's file gets ``'<eos>'`` appended; the token ids are cut into
    samples of ``seq_len`` (data) and the same ids one token later (label).

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/wikitext-2
        Folder holding ``wiki.train.tokens``, ``wiki.valid.tokens`` and ``wiki.test.tokens``
        (the contents of ``wikitext-2-v1.zip``).
    segment : {'train', 'validation', 'test'}, default 'train'
    vocab : Vocabulary, default None
        None: built from this segment's file, with ``'<eos>'`` reserved.
    seq_len : int, default 35

    Raises
    ------
    FileNotFoundError
        When the segment's file is not in ``root`` (gluax does not download it).

    Notes
    -----
    MXNet downloads the archive when the file is missing or its SHA-1 differs; gluax reads
    whatever file is there.
    """

    _name = "WikiText2"
    _archive = "wikitext-2-v1.zip"

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "wikitext-2"),
        segment: str = "train",
        vocab: Vocabulary | None = None,
        seq_len: int = 35,
    ) -> None:
        super().__init__(root, segment, vocab, seq_len)


class WikiText103(_WikiText):
    """WikiText-103 (word level) for language modeling, read from local files.

    As :class:`WikiText2`, from the contents of ``wikitext-103-v1.zip``.

    Parameters
    ----------
    root : str, default $MXNET_HOME/datasets/wikitext-103
    segment : {'train', 'validation', 'test'}, default 'train'
    vocab : Vocabulary, default None
    seq_len : int, default 35

    Raises
    ------
    FileNotFoundError
        When the segment's file is not in ``root`` (gluax does not download it).
    """

    _name = "WikiText103"
    _archive = "wikitext-103-v1.zip"

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "wikitext-103"),
        segment: str = "train",
        vocab: Vocabulary | None = None,
        seq_len: int = 35,
    ) -> None:
        super().__init__(root, segment, vocab, seq_len)
