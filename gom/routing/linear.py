"""Trained linear routers: multinomial logistic regression (scikit-learn) over the query's
sentence embedding (``Linear``) or over its TF-IDF terms (``Lexical``, unigrams and bigrams
with sublinear term frequency, fitted on the training rows only).

Both keep only arrays (coefficients, vocabulary, idf), saved in the index's .npz with
allow_pickle=False; scoring is a matrix product and a log-softmax.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax

MAX_ITER = 1000


def _fit_logistic(features, labels: np.ndarray, n_classes: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients classes x features, intercepts) of a multinomial logistic regression; every
    class gets a row, a class with no training row a constant -inf-like intercept."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a choice on validation, not a failure
        model = LogisticRegression(C=c, max_iter=MAX_ITER).fit(features, labels)
    coef = np.zeros((n_classes, features.shape[1]), dtype=np.float32)
    intercept = np.full(n_classes, -1e4, dtype=np.float32)
    if len(model.classes_) == 2:  # scikit-learn keeps one row for two classes (the second's log-odds): split it
        first, second = model.classes_
        coef[second], intercept[second] = model.coef_[0] / 2, model.intercept_[0] / 2
        coef[first], intercept[first] = -model.coef_[0] / 2, -model.intercept_[0] / 2
    else:
        coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return coef, intercept


@dataclass
class Linear:
    coef: np.ndarray  # datasets x dim
    intercept: np.ndarray
    c: float

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: np.ndarray, n_classes: int, c: float) -> Linear:
        return cls(*_fit_logistic(vectors, labels, n_classes, c), c)

    def log_proba(self, vectors: np.ndarray) -> np.ndarray:
        return log_softmax(vectors @ self.coef.T + self.intercept, axis=1)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"linear_coef": self.coef, "linear_intercept": self.intercept, "linear_c": np.float64(self.c)}

    @classmethod
    def from_arrays(cls, z) -> Linear | None:
        if "linear_coef" not in z:
            return None
        return cls(z["linear_coef"], z["linear_intercept"], float(z["linear_c"]))


@dataclass
class Lexical:
    vocabulary: np.ndarray  # terms, in column order
    idf: np.ndarray
    coef: np.ndarray  # datasets x terms
    intercept: np.ndarray
    c: float

    @classmethod
    def fit(cls, texts: list[str], labels: np.ndarray, n_classes: int, c: float, max_features: int) -> Lexical:
        vectorizer = _vectorizer(max_features=max_features)
        features = vectorizer.fit_transform(texts)
        vocabulary = np.array(sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get))
        return cls(vocabulary, vectorizer.idf_.astype(np.float64), *_fit_logistic(features, labels, n_classes, c), c)

    def features(self, texts: list[str]):
        """queries x terms TF-IDF rows (l2-normalised), with the training rows' vocabulary and idf."""
        if not hasattr(self, "_vectorizer"):
            vectorizer = _vectorizer(vocabulary={t: i for i, t in enumerate(self.vocabulary.tolist())})
            vectorizer.idf_ = self.idf
            self._vectorizer = vectorizer
        return self._vectorizer.transform(texts)

    def log_proba(self, texts: list[str]) -> np.ndarray:
        rows = self.features(texts)
        logits = np.empty((rows.shape[0], len(self.intercept)))
        for i in range(rows.shape[0]):  # the query's few terms' columns only: no copy of the coefficients
            start, end = rows.indptr[i], rows.indptr[i + 1]
            logits[i] = self.coef[:, rows.indices[start:end]] @ rows.data[start:end]
        return log_softmax(logits + self.intercept, axis=1)

    def terms(self, text: str, dataset: int, top: int = 8) -> list[dict]:
        """The query's terms that raise ``dataset``'s score most (TF-IDF weight x coefficient)."""
        row = self.features([text])
        contribution = row.data * self.coef[dataset, row.indices]
        order = np.argsort(-contribution)[:top]
        return [
            {"term": str(self.vocabulary[row.indices[i]]), "weight": round(float(contribution[i]), 4)}
            for i in order
            if contribution[i] > 0
        ]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "lexical_vocabulary": self.vocabulary,
            "lexical_idf": self.idf,
            "lexical_coef": self.coef,
            "lexical_intercept": self.intercept,
            "lexical_c": np.float64(self.c),
        }

    @classmethod
    def from_arrays(cls, z) -> Lexical | None:
        if "lexical_coef" not in z:
            return None
        return cls(
            z["lexical_vocabulary"], z["lexical_idf"], z["lexical_coef"], z["lexical_intercept"], float(z["lexical_c"])
        )


def _vectorizer(**kwargs):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), dtype=np.float32, **kwargs)
