"""selfens from Python: the same engine, jobs and files as the `selfens` CLI.

    import selfens
    model = selfens.Model("smollm2_135m_it")              # loaded once
    flex = model.generate("demo", method="flex_attention", num_paraphrases=3)
    report = selfens.analyze("datasets", dataset="demo", model="smollm2_135m_it")

Every keyword is a CLI option (``num_paraphrases=3`` is ``--num_paraphrases 3``)
and is checked by the CLI's own parser: a bad value raises
:class:`selfens.InputError` (a ``ValueError``) with the CLI's message. Results
come back as pandas DataFrames with the columns of the Feather files; with
``output_dir`` the file is written (and resumed) exactly as the CLI does.
Ctrl+C (KeyboardInterrupt) keeps the finished rows in that file and is then
raised again.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from . import _selfens

__all__ = ["Model", "InputError", "analyze", "lemmatize", "match", "mask", "METHODS"]

#: Raised for bad input (options, data sets, files); a subclass of ValueError.
InputError = _selfens.InputError

#: The methods, as `generate(method=...)` names them.
METHODS = ("origin", "per_prompt", "avg", "max", "weighted_avg", "weighted_max",
           "flex_attention", "weighted_flex")

Dataset = Union[str, os.PathLike, Sequence[dict], pd.DataFrame]


def _args(options: dict) -> list:
    """Keyword arguments as CLI arguments: True -> a flag, None/False -> left out."""
    out = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        name = "--" + key
        if value is True:
            out.append(name)
        elif isinstance(value, (list, tuple)):
            out += [name, ",".join(str(v) for v in value)]
        else:
            out += [name, str(value)]
    return out


class _Progress:
    """A tqdm bar fed by the engine's progress updates (tqdm.auto: a widget in
    notebooks, text in terminals); nothing when tqdm is absent or quiet."""

    def __init__(self, quiet: bool):
        self.bar = None
        self.quiet = quiet

    def __call__(self, label: str, done: int, total: int, final: bool) -> None:
        if self.quiet:
            return
        if self.bar is None:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self.quiet = True
                return
            self.bar = tqdm(total=total, desc=label, unit="q")
        self.bar.update(done - self.bar.n)
        if final:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _dataset_arg(dataset: Dataset, tmp: str) -> str:
    """A data set name or path as given; rows (dicts or a DataFrame with
    uuid, question, paraphrases, answers) written to a JSONL file in `tmp`."""
    if isinstance(dataset, (str, os.PathLike)):
        return os.fspath(dataset)
    rows = dataset.to_dict("records") if isinstance(dataset, pd.DataFrame) else list(dataset)
    path = os.path.join(tmp, "dataset.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            clean = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()}
            f.write(json.dumps(clean, ensure_ascii=False) + "\n")
    return path


def _read(path: str) -> pd.DataFrame:
    """The file's rows, its selfens metadata in attrs (one read of the file)."""
    import pyarrow.feather as feather
    table = feather.read_table(path)
    frame = table.to_pandas()
    meta = table.schema.metadata or {}
    frame.attrs["selfens"] = {k.decode(): v.decode() for k, v in meta.items()}
    frame.attrs["path"] = path
    return frame


class Model:
    """A model loaded once; its weights stay in memory across calls.

    Args:
        name_or_path: a name from the models table (``smollm2_135m_it``,
            ``qwen3_8b``, ...), a ``.gguf`` file or a Hugging Face directory.
        device: ``auto`` (the GPU when one is usable), ``cpu``, ``cuda`` (bf16),
            ``cuda-fp16``, ``cuda-fp8`` (Hopper) or ``cuda-f32``.
    """

    def __init__(self, name_or_path: str = "smollm2_135m_it", device: str = "auto"):
        self._m = _selfens.load(str(name_or_path), device)

    @property
    def name(self) -> str:
        return self._m.name

    @property
    def device(self) -> str:
        """The backend the jobs run on: cpu, cuda, cuda-fp16, cuda-fp8 or cuda-f32."""
        return self._m.backend

    @property
    def architecture(self) -> str:
        return self._m.architecture

    def tokenize(self, text: str) -> list:
        """Token ids of `text` (with the model's BOS rule)."""
        return self._m.tokenize(text)

    def __repr__(self) -> str:
        return f"selfens.Model({self.name!r}, {self._m.architecture}, device={self.device!r})"

    def _run(self, job, options: dict, output_dir: Optional[str], quiet: bool):
        progress = _Progress(quiet)
        with tempfile.TemporaryDirectory(prefix="selfens-") as tmp:
            options = dict(options)
            options["dataset"] = _dataset_arg(options["dataset"], tmp)
            options["output_dir"] = os.fspath(output_dir) if output_dir is not None else tmp
            options["quiet"] = quiet
            try:
                result = job(self._m, _args(options), progress)
            finally:
                progress.close()
            frame = _read(result["path"])
        if output_dir is None:
            frame.attrs["path"] = None
        if result["interrupted"]:
            raise KeyboardInterrupt(
                f"interrupted after {result['rows']} rows"
                + (f"; {result['path']} keeps them (call again to resume)" if output_dir else ""))
        return frame

    def generate(self, dataset: Dataset = "demo", method: str = "flex_attention", *,
                 num_paraphrases: Optional[int] = 5, indexs: Optional[Sequence[int]] = None,
                 max_samples: Optional[int] = None, max_new_tokens: int = 20,
                 batch_size: int = 16, layout: str = "shared", positions: Optional[str] = None,
                 fusion_bias: str = "none", data_dir: Optional[str] = None,
                 output_dir: Optional[str] = None, overwrite: bool = False,
                 lemmaize: bool = False, margins: bool = False, no_newline_stop: bool = False,
                 threads: Optional[int] = None, quiet: bool = False, **cli_options: Any
                 ) -> pd.DataFrame:
        """Runs one method over a data set; returns the rows of its Feather file.

        Args:
            dataset: ``demo``, ``myriadlama``, ``webqa``, a ``.jsonl`` path, or
                rows (a list of dicts or a DataFrame with ``uuid``,
                ``question``, ``paraphrases``, ``answers``).
            method: one of :data:`METHODS`.
            output_dir: where the file goes (``{output_dir}/{dataset}/{model}/``),
                resumed on the next call as the CLI resumes; None: a temporary
                folder, removed after reading.
            data_dir: the folder holding ``myriadlama/`` and ``webqa/``.
            Other keywords: the ``selfens generate`` options of the same name.
        Raises:
            InputError: bad options or input, with the CLI's message.
            KeyboardInterrupt: after Ctrl+C, once the finished rows are saved.
        """
        options = dict(dataset=dataset, method=method,
                       num_paraphrases=None if method == "origin" else num_paraphrases,
                       indexs=indexs, max_samples=max_samples, max_new_tokens=max_new_tokens,
                       batch_size=batch_size, layout=layout, positions=positions,
                       fusion_bias=fusion_bias, data_dir=data_dir, overwrite=overwrite,
                       lemmaize=lemmaize, margins=margins, no_newline_stop=no_newline_stop,
                       threads=threads, **cli_options)
        return self._run(_selfens.generate, options, output_dir, quiet)

    def confidence(self, dataset: Dataset = "demo", *, num_samples: int = 100,
                   num_paraphrases: Optional[int] = None, max_samples: Optional[int] = None,
                   seed: int = 0, data_dir: Optional[str] = None,
                   output_dir: Optional[str] = None, overwrite: bool = False,
                   quiet: bool = False, **cli_options: Any) -> pd.DataFrame:
        """Greedy and sampled answers per paraphrase; the ``confidence.feather``
        rows that weighted_avg / weighted_max read (same options as
        ``selfens confidence``)."""
        options = dict(dataset=dataset, num_samples=num_samples, num_paraphrases=num_paraphrases,
                       max_samples=max_samples, seed=seed, data_dir=data_dir,
                       overwrite=overwrite, **cli_options)
        return self._run(_selfens.confidence, options, output_dir, quiet)


def analyze(output_dir: str = "datasets", *, dataset: str = "demo",
            model: Union[str, Model] = "smollm2_135m_it", num_paraphrases: Optional[int] = None,
            strict: bool = False, compare_all: bool = False, **cli_options: Any) -> dict:
    """The figures of ``selfens analyze --json`` for the result files of one
    (data set, model) pair under `output_dir`, as a dict."""
    name = model.name if isinstance(model, Model) else model
    args = _args(dict(output_dir=os.fspath(output_dir), dataset=dataset, model=name,
                      num_paraphrases=num_paraphrases, strict=strict, compare_all=compare_all,
                      **cli_options))
    return json.loads(_selfens.analyze_json(args))


_lemmas = {}


def _lemmatizer(lemma_dir: Optional[str]):
    key = lemma_dir or ""
    if key not in _lemmas:
        _lemmas[key] = _selfens.Lemmas(key)
    return _lemmas[key]


def lemmatize(text: Union[str, Iterable[str]], *, lemma_dir: Optional[str] = None):
    """Lower-cased lemmas of a text (a list), or of each text of an iterable
    (a list of lists): the lemmas the accuracy is computed on."""
    lem = _lemmatizer(lemma_dir)
    if isinstance(text, str):
        return lem.lemmas(text)
    return [lem.lemmas(t) for t in text]


def match(prediction: str, answers: Union[str, Iterable[str]], *,
          lemma_dir: Optional[str] = None) -> bool:
    """Whether a prediction counts as right for these answers (the lemma
    match that every accuracy of selfens uses)."""
    answers = [answers] if isinstance(answers, str) else list(answers)
    return _lemmatizer(lemma_dir).match(prediction, answers)


def mask(method: str = "flex_attention", num_paraphrases: int = 3, *,
         question_lens: Optional[Sequence[int]] = None, prefix_len: int = 8,
         generated_len: int = 4, layout: str = "shared", positions: Optional[str] = None,
         fusion_bias: str = "none", paraphrase_attention: str = "isolated",
         with_bias: bool = False):
    """The attention mask of one question's plan, as ``selfens mask`` draws it:
    an (n, n) boolean array (query token x key token) with ``labels`` (the
    segment of each token: P, Q1.., G..) as ``mask.labels``; with
    ``with_bias`` also the (n, n) float32 score-bias array."""
    args = _args(dict(method=method, num_paraphrases=num_paraphrases,
                      question_lens=question_lens, prefix_len=prefix_len,
                      generated_len=generated_len, layout=layout, positions=positions,
                      fusion_bias=fusion_bias, paraphrase_attention=paraphrase_attention))
    n, visible, bias, labels = _selfens.mask(args)
    m = np.frombuffer(visible, dtype=np.uint8).reshape(n, n).astype(bool)
    m = _LabelledMask(m, labels)
    if with_bias:
        return m, np.frombuffer(bias, dtype=np.float32).reshape(n, n).copy()
    return m


class _LabelledMask(np.ndarray):
    """A boolean mask array that also carries its token labels."""

    def __new__(cls, array, labels):
        obj = np.asarray(array).view(cls)
        obj.labels = list(labels)
        return obj

    def __array_finalize__(self, obj):
        self.labels = getattr(obj, "labels", None)
