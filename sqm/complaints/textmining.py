"""Chinese text mining over complaint descriptions: segmentation, similar complaints and
category suggestion (docs/category-suggestion.md).

- `tokenize` cuts text with jieba (precise mode) plus the telecom user dictionary in
  data/userdict.txt and drops punctuation, bare numbers and the stop words in
  data/stopwords.txt.
- `similar_complaints` ranks one customer's work orders by TF-IDF cosine similarity.
- `train` fits a TF-IDF + linear classifier on closed work orders and saves it under
  SQM_HOME; `suggest_categories` asks it for the likely third-level categories.

jieba and scikit-learn are imported on first use, so commands that never touch text (and
Django's start-up) do not pay for them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.complaints.choices import RecordType, WorkOrderState

if TYPE_CHECKING:
    from sqm.complaints.models import Category, WorkOrder

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
USER_DICTIONARY = DATA / "userdict.txt"
STOP_WORDS = DATA / "stopwords.txt"

# Record types whose category an agent chose on purpose; service requests are not filed
# under the complaint tree with the same care, so they would only add noise.
TRAINING_RECORD_TYPES = (RecordType.COMPLAINT_WORK_ORDER, RecordType.DIRECT_ANSWER_COMPLAINT)
MIN_TRAINING_ORDERS = 50
MODEL_FILE = "category-classifier.joblib"
METADATA_FILE = "category-classifier.json"
# Bumped when the saved bundle changes shape; an older file then counts as "no model".
MODEL_FORMAT = 1
# Similarity looks at the customer's latest orders only: a big account's history must not
# make one call slow.
SIMILAR_MAX_ORDERS = 500
CHUNK_SIZE = 2000

# ---------------------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segmenter:
    tokenizer: Any  # jieba.Tokenizer
    stop_words: frozenset[str]
    kept_numbers: frozenset[str]


_segmenter: _Segmenter | None = None
_segmenter_lock = threading.Lock()


def _read_word_list(path: Path) -> Iterator[list[str]]:
    """The non-comment lines of a shipped word list, split into fields."""
    for line in path.read_text(encoding="utf-8").lstrip("\ufeff").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line.split()


def _build_segmenter() -> _Segmenter:
    import jieba

    # jieba logs its dictionary loading at DEBUG to stderr; keep commands and tests quiet.
    jieba.setLogLevel(logging.WARNING)
    # A private tokenizer: jieba.add_word would change the process-wide default one.
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    kept_numbers = set()
    for fields in _read_word_list(USER_DICTIONARY):
        word = fields[0]
        freq = int(fields[1]) if len(fields) > 1 else None
        tag = fields[2] if len(fields) > 2 else None
        # jieba matches case-sensitively; people write pon口, PON口 and Pon口 alike.
        for variant in {word, word.lower(), word.upper()}:
            tokenizer.add_word(variant, freq, tag)
        if word.isdigit():
            kept_numbers.add(word)
    stop_words = frozenset(fields[0] for fields in _read_word_list(STOP_WORDS))
    return _Segmenter(tokenizer, stop_words, frozenset(kept_numbers))


def _get_segmenter() -> _Segmenter:
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                _segmenter = _build_segmenter()
    return _segmenter


def tokenize(text: str) -> list[str]:
    """The meaningful words of TEXT in order, as jieba cuts them in precise mode.

    Drops punctuation and symbols, whitespace, stop words and bare numbers (phone numbers,
    amounts, dates say nothing about the category), except the service numbers in the user
    dictionary (10086, 12300 …). Latin letters come out in lower case.
    """
    if not text:
        return []
    segmenter = _get_segmenter()
    # NFKC folds full-width letters and digits (ＰＯＮ口, １００Ｍ) to the ones the dictionary has.
    text = unicodedata.normalize("NFKC", text)
    tokens = []
    for token in segmenter.tokenizer.cut(text, cut_all=False, HMM=True):
        token = token.strip()
        if not token or not any(char.isalnum() for char in token):
            continue
        token = token.lower()
        if token in segmenter.stop_words:
            continue
        if token.isdigit() and token not in segmenter.kept_numbers:
            continue
        tokens.append(token)
    return tokens


def _joined_tokens(text: str) -> str:
    # Tokens never contain whitespace, so a space-joined string is a compact, lossless form
    # of the token list (100k orders as strings need far less memory than as lists).
    return " ".join(tokenize(text))


# ---------------------------------------------------------------------------------------
# Similar complaints
# ---------------------------------------------------------------------------------------


def similar_complaints(
    customer, text: str, *, exclude_pk=None, limit: int = 5, min_score: float = 0.15
) -> list[tuple[WorkOrder, float]]:
    """The customer's work orders (any state) most like TEXT, best first, with their
    cosine similarity (0…1) over TF-IDF weighted jieba tokens; only scores ≥ MIN_SCORE.

    The IDF is fitted on this customer's orders (their latest SIMILAR_MAX_ORDERS) plus TEXT,
    so words the customer uses in every complaint weigh little. EXCLUDE_PK leaves out one
    order (the one being edited).
    """
    from sqm.complaints.models import WorkOrder

    query_tokens = tokenize(text)
    if not query_tokens or limit <= 0:
        return []
    orders = WorkOrder.objects.filter(customer=customer).select_related("category")
    if exclude_pk is not None:
        orders = orders.exclude(pk=exclude_pk)
    orders = list(orders.order_by("-created", "-pk")[:SIMILAR_MAX_ORDERS])
    if not orders:
        return []

    from sklearn.feature_extraction.text import TfidfVectorizer

    # TEXT takes part in the fit so its own unknown words count in its norm: otherwise a
    # long text sharing one word with a one-word order would score a perfect 1.0.
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    matrix = vectorizer.fit_transform(
        [_joined_tokens(order.description) for order in orders] + [" ".join(query_tokens)]
    )
    # Rows are L2-normalised, so the dot product is the cosine similarity.
    scores = (matrix[:-1] @ matrix[-1].T).toarray().ravel()
    ranked = sorted(
        (
            (order, float(score))
            for order, score in zip(orders, scores, strict=True)
            if score >= min_score
        ),
        key=lambda pair: -pair[1],  # stable: ties keep newest first
    )
    return ranked[:limit]


# ---------------------------------------------------------------------------------------
# Category classifier
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingReport:
    """What `train` did; also saved as JSON next to the model."""

    n_train: int
    n_test: int
    n_categories: int
    top1: float | None  # share of held-out orders whose category came first; None: no test
    top3: float | None  # … came among the first three
    trained_at: datetime
    path: Path
    test_share: float
    seed: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["trained_at"] = self.trained_at.isoformat()
        data["path"] = str(self.path)
        return data


def model_path() -> Path:
    """Where the category classifier lives: SQM_HOME/models/category-classifier.joblib."""
    return Path(settings.SQM_HOME) / "models" / MODEL_FILE


def _training_rows() -> Iterator[tuple[str, str]]:
    from sqm.complaints.models import WorkOrder

    rows = (
        WorkOrder.objects.filter(state=WorkOrderState.CLOSED, record_type__in=TRAINING_RECORD_TYPES)
        .exclude(description="")
        .order_by("pk")  # a fixed order, so the seeded split is reproducible
        .values_list("description", "category__code")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for description, code in rows:
        joined = _joined_tokens(description)
        if joined:  # an order with no words left teaches nothing
            yield joined, code


def _new_pipeline(seed: int, n_train: int):
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    # The pipeline takes space-joined tokens (see _joined_tokens), so texts are cut once.
    # SGD with log loss: on 100k orders it trains in seconds where LogisticRegression takes
    # minutes, with the same held-out accuracy on our data (docs/category-suggestion.md).
    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    tokenizer=str.split,
                    token_pattern=None,
                    lowercase=False,
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    # A word pair seen once is noise in a big history, but may be all a
                    # small one has.
                    min_df=2 if n_train >= 1000 else 1,
                    # Bounds the model (classes × features weights) to tens of megabytes.
                    max_features=200_000,
                    dtype=numpy.float32,  # half the memory; precision to spare
                ),
            ),
            (
                "classifier",
                SGDClassifier(
                    loss="log_loss",
                    alpha=1e-5,
                    max_iter=50,
                    tol=1e-4,
                    random_state=seed,
                ),
            ),
        ]
    )


def _top_k_hits(probabilities, classes, truth: list[str], k: int) -> int:
    import numpy

    best = numpy.argsort(-probabilities, axis=1)[:, :k]
    return sum(
        answer in set(classes[best_row]) for answer, best_row in zip(truth, best, strict=True)
    )


def train(*, test_share: float = 0.2, seed: int = 0, path=None) -> TrainingReport:
    """Train the category classifier on closed complaint work orders and save it.

    Learns the third-level category (by code, so the model survives re-imports of the
    tree) from the description: TF-IDF over jieba word unigrams and bigrams, then a linear
    classifier. TEST_SHARE of the orders (picked by SEED, reproducibly) are held out to
    measure top-1 and top-3 accuracy; the saved model is the one that was measured.

    Retraining is manual (`sqm complaints train`) or by cron; nothing schedules it, since
    categories drift slowly and a run on a big history takes a while.

    Raises ValueError when there are fewer than MIN_TRAINING_ORDERS usable orders or fewer
    than two categories.
    """
    import joblib
    import numpy

    if not 0 <= test_share < 1:
        raise ValueError(_("The test share must be at least 0 and below 1."))
    if seed < 0:
        raise ValueError(_("The seed must not be negative."))
    path = Path(path) if path is not None else model_path()
    texts, codes = [], []
    for joined, code in _training_rows():
        texts.append(joined)
        codes.append(code)
    if len(texts) < MIN_TRAINING_ORDERS:
        raise ValueError(
            _(
                "Too little to learn from: %(count)d closed complaint work orders with a "
                "description; at least %(minimum)d are needed."
            )
            % {"count": len(texts), "minimum": MIN_TRAINING_ORDERS}
        )
    if len(set(codes)) < 2:
        raise ValueError(
            _("All closed complaint work orders are in one category; nothing to tell apart.")
        )

    order = numpy.random.default_rng(seed).permutation(len(texts))
    n_test = int(round(len(texts) * test_share))
    test_rows, train_rows = order[:n_test], order[n_test:]
    train_codes = [codes[i] for i in train_rows]
    if len(set(train_codes)) < 2:
        raise ValueError(_("The training part holds only one category; use a smaller test share."))

    pipeline = _new_pipeline(seed, len(train_rows))
    pipeline.fit([texts[i] for i in train_rows], train_codes)
    # The pruned terms are kept only for introspection and would bloat the file many times.
    pipeline.named_steps["tfidf"].stop_words_ = None

    top1 = top3 = None
    if n_test:
        classes = pipeline.classes_
        probabilities = pipeline.predict_proba([texts[i] for i in test_rows])
        truth = [codes[i] for i in test_rows]
        top1 = _top_k_hits(probabilities, classes, truth, 1) / n_test
        top3 = _top_k_hits(probabilities, classes, truth, 3) / n_test

    report = TrainingReport(
        n_train=len(train_rows),
        n_test=n_test,
        n_categories=len(set(codes)),
        top1=top1,
        top3=top3,
        trained_at=timezone.now(),
        path=path,
        test_share=test_share,
        seed=seed,
    )
    bundle = {"format": MODEL_FORMAT, "pipeline": pipeline, "report": report.as_dict()}
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, lambda file: joblib.dump(bundle, file))
    _write_atomically(
        path.with_name(METADATA_FILE),
        lambda file: file.write(
            json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")
        ),
    )
    return report


def _write_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename over PATH: a reader
    sees the old file or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# The loaded model per process: the file's (path, inode, mtime_ns, size) when read, and the
# pipeline. Training renames a new file into place, so the inode alone already changes.
_loaded: tuple[tuple[str, int, int, int], Any] | None = None
_loaded_lock = threading.Lock()


def _current_pipeline():
    """The saved classifier, read again only when its file changed; None when there is none."""
    global _loaded
    path = model_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    loaded = _loaded
    if loaded is not None and loaded[0] == key:
        return loaded[1]
    with _loaded_lock:
        if _loaded is not None and _loaded[0] == key:
            return _loaded[1]
        import joblib

        # An unreadable or foreign file must not break work-order intake: no suggestions
        # until someone retrains (logged once per version of the file).
        pipeline = None
        try:
            bundle = joblib.load(path)
        except Exception:
            logger.exception("Cannot load the category classifier %s; retrain it.", path)
        else:
            if isinstance(bundle, dict) and bundle.get("format") == MODEL_FORMAT:
                pipeline = bundle["pipeline"]
            else:
                logger.warning("%s is not a category classifier of this version.", path)
        _loaded = (key, pipeline)
        return pipeline


def suggest_categories(text: str, k: int = 3) -> list[tuple[Category, float]]:
    """The K most likely active third-level categories for TEXT with their probabilities,
    most likely first. [] when no model has been trained or TEXT has no words."""
    from sqm.complaints.models import Category

    if k <= 0:
        return []
    pipeline = _current_pipeline()
    if pipeline is None:
        return []
    joined = _joined_tokens(text)
    if not joined:
        return []
    probabilities = pipeline.predict_proba([joined])[0]
    ranked = sorted(
        zip(map(str, pipeline.classes_), probabilities, strict=True), key=lambda pair: -pair[1]
    )
    # Categories deactivated (or removed) since training are skipped, not suggested.
    active = Category.objects.filter(
        code__in=[code for code, _p in ranked], level=3, active=True
    ).in_bulk(field_name="code")
    suggestions = [
        (active[code], float(probability)) for code, probability in ranked if code in active
    ]
    return suggestions[:k]


def read_metadata(path=None) -> dict[str, Any] | None:
    """The report saved with the model (see TrainingReport), or None when there is none."""
    model = Path(path) if path is not None else model_path()
    try:
        return json.loads(model.with_name(METADATA_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
