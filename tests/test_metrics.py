import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from gom.edges import centroid_cosine, jaccard, mean_cosine, pair_metrics, tfidf_cosine
from gom.errors import GomError
from gom.profiles import build_profile, load_profile, mean_unit_vector, normalise_items, save_profile

JACCARD = {"separator": ",", "lowercase": True, "strip_punctuation": True}

TEXTS_A = ["white rum, lime juice, mint leaves", "gin, tonic water, lime", "vodka, ginger beer, lime juice", "x"]
TEXTS_B = [
    "tomato, onion, garlic, olive oil",
    "apple, cinnamon, butter, flour",
    "lime, chili, garlic, cilantro",
    "onion, onion soup",
]


def _profile(texts, embeddings, items=None):
    return build_profile(texts, embeddings, items if items is not None else texts, JACCARD)


@pytest.mark.parametrize("n, m", [(50, 70), (1, 3), (200, 9)])
def test_mean_cosine_equals_brute_force(n, m):
    rng = np.random.default_rng(n + m)
    a = rng.normal(size=(n, 16)).astype(np.float32) + 0.3
    b = rng.normal(size=(m, 16)).astype(np.float32)
    pa, pb = _profile(["t"] * n, a), _profile(["t"] * m, b)
    assert mean_cosine(pa, pb) == pytest.approx(cosine_similarity(a, b).mean(), abs=1e-6)
    assert mean_cosine(pa, pa) == pytest.approx(cosine_similarity(a, a).mean(), abs=1e-6)
    if n > 1:
        assert mean_cosine(pa, pa) < 1.0


def test_mean_unit_vector_is_chunked_exactly():
    x = np.random.default_rng(0).normal(size=(1000, 8))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert np.allclose(mean_unit_vector(x, chunk=7), unit.mean(axis=0), atol=1e-12)


def test_centroid_cosine():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = np.array([[1.0, 0.0]])
    pa, pb = _profile(["t", "t"], a), _profile(["t"], b)
    assert centroid_cosine(pa, pb) == pytest.approx(1 / np.sqrt(2))
    assert centroid_cosine(pa, pa) == pytest.approx(1.0)


def test_normalise_items():
    items = normalise_items(["Lime Juice, MINT leaves;", "  lime   juice ", None, "Crème-fraîche, ,"])
    assert items == {"lime juice", "mint leaves", "crème fraîche"}
    assert normalise_items(["a, b"], separator="") == {"a b"}
    assert normalise_items(["A.B"], lowercase=False, strip_punctuation=False) == {"A.B"}
    assert normalise_items([["Lime", "mint"]]) == {"lime", "mint"}


def test_jaccard_on_hand_made_sets():
    emb = np.ones((1, 2))
    pa = _profile(["t"], emb, ["lime, mint, rum, sugar"])
    pb = _profile(["t"], emb, ["Lime, mint, tomato"])
    assert jaccard(pa, pb) == pytest.approx(2 / 5)
    assert jaccard(pa, pa) == 1.0
    empty = _profile(["t"], emb, [""])
    assert jaccard(empty, empty) == 0.0


def test_tfidf_cosine_equals_scikit_learn_fitted_on_the_union():
    emb_a, emb_b = np.ones((len(TEXTS_A), 2)), np.ones((len(TEXTS_B), 2))
    pa, pb = _profile(TEXTS_A, emb_a), _profile(TEXTS_B, emb_b)
    vectorizer = TfidfVectorizer().fit(TEXTS_A + TEXTS_B)
    expected = (vectorizer.transform(TEXTS_A) @ vectorizer.transform(TEXTS_B).T).mean()
    assert tfidf_cosine(pa, pb) == pytest.approx(expected, abs=1e-9)
    own = TfidfVectorizer().fit_transform(TEXTS_A)
    assert tfidf_cosine(pa, pa) == pytest.approx((own @ own.T).mean(), abs=1e-9)


def test_term_counts_tokenise_as_scikit_learn_does():
    from sklearn.feature_extraction.text import CountVectorizer

    from gom.profiles import term_counts

    texts = (
        TEXTS_A
        + TEXTS_B
        + ["Crème BRÛLÉE, crème; l'été 2024 a_b x y  tab\tsep", "", "Ωμέγα ΣΊΣΥΦΟΣ 3.14 ab-cd", "ab ab AB"]
    )
    vectorizer = CountVectorizer()
    expected = vectorizer.fit_transform(texts).tocsr()
    expected.sort_indices()
    vocab, data, indices, indptr = term_counts(texts)
    assert vocab.tolist() == vectorizer.get_feature_names_out().tolist()
    assert data.tolist() == expected.data.tolist() and indices.tolist() == expected.indices.tolist()
    assert indptr.tolist() == expected.indptr.tolist()


def test_tfidf_without_any_token():
    p = _profile(["a", "b"], np.ones((2, 2)))
    assert tfidf_cosine(p, p) == 0.0
    assert tfidf_cosine(p, _profile(TEXTS_A, np.ones((4, 2)))) == 0.0


def test_profile_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    p = _profile(TEXTS_A, rng.normal(size=(4, 5)))
    save_profile(p, tmp_path / "p.npz")
    q = load_profile(tmp_path / "p.npz")
    assert q.n_rows == 4 and (q.vocab == p.vocab).all() and (q.items == p.items).all()
    assert (q.counts != p.counts).nnz == 0
    other = _profile(TEXTS_B, rng.normal(size=(4, 5)))
    metrics = list(pair_metrics(p, other, ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]))
    assert pair_metrics(q, other, metrics) == pair_metrics(p, other, metrics)


def _random_profiles(n, seed=0):
    from gom.profiles import build_profile

    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(300)]
    profiles = []
    for d in range(n):
        vocab = words[rng.integers(0, 200) :][: int(rng.integers(1, 80))]
        rows = int(rng.integers(1, 40))
        texts = [" ".join(rng.choice(vocab, size=rng.integers(0, 10))) for _ in range(rows)]
        texts[0] = "a ?"  # a row without a token
        items = [",".join(rng.choice(vocab, 2)) for _ in range(rows)]
        profiles.append(build_profile(texts, rng.normal(size=(rows, 6)) + d % 3, items, {}))
    profiles.append(build_profile(["!", "?"], rng.normal(size=(2, 6)), ["", ""], {}))  # no term, no item
    return profiles


def test_edges_to_many_datasets_at_once_equal_each_pair_alone():
    """One dataset against a whole set, vectorised, equals pair_metrics of each pair (the reference)."""
    from gom.edges import edges_to_set
    from gom.profile_sets import ProfileSet

    profiles = _random_profiles(30)
    metrics = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
    for x in (profiles[5], profiles[-1]):
        others = [p for p in profiles if p is not x]
        names = [f"d{i}" for i in range(len(others))]
        # in two parts, as an edge job joins shards and single profiles; a small chunk splits the pairs
        both = ProfileSet.concat(
            [ProfileSet.from_profiles(names[:12], others[:12]), ProfileSet.from_profiles(names[12:], others[12:])]
        )
        values = edges_to_set(x, both, metrics, chunk=7)
        for j, other in enumerate(others):
            for a, b in ((x, other), (other, x)):
                expected = pair_metrics(a, b, metrics)
                for m in metrics:
                    assert abs(values[m][j] - expected[m]) <= 1e-9, (m, j)
    assert edges_to_set(profiles[0], ProfileSet.empty(6), metrics) == {m: pytest.approx([]) for m in metrics}


def test_edge_job_reads_shards_and_single_profiles_and_writes_the_pairs_before_it(tmp_path):
    from gom.edge_jobs import check_record, compute_edges, read_edges
    from gom.profile_sets import build_shard
    from gom.profiles import save_profile

    profiles = _random_profiles(6, seed=1)
    names = [f"d{i}" for i in range(len(profiles))]
    for name, p in zip(names, profiles):
        save_profile(p, tmp_path / f"{name}.npz", name)
    build_shard(names[:3], [tmp_path / f"{n}.npz" for n in names[:3]], tmp_path / "shard_0.npz")
    metrics = ["mean_cosine", "jaccard", "tfidf_cosine"]
    out = tmp_path / "edges.npz"
    compute_edges(
        "d6",
        tmp_path / "d6.npz",
        [(names[:3], tmp_path / "shard_0.npz")],
        [(n, tmp_path / f"{n}.npz") for n in names[3:6]],
        out,
        metrics,
    )
    (record,) = read_edges(out)
    check_record(record, out, "d6", names[:6], metrics)
    values = record[4]
    for j in range(6):
        expected = pair_metrics(profiles[j], profiles[6], metrics)
        assert all(abs(values[m][j] - expected[m]) <= 1e-9 for m in metrics)
    with pytest.raises(GomError, match=r"shard_0.npz holds the profiles of d0, d1, d2, not of d0, d1, d3"):
        compute_edges("d6", tmp_path / "d6.npz", [(["d0", "d1", "d3"], tmp_path / "shard_0.npz")], [], out, metrics)
    with pytest.raises(GomError, match=r"holds edges of 'd6' to other datasets than those listed before it"):
        check_record(record, out, "d6", names[:5], metrics)


def test_a_block_job_computes_its_members_and_copies_those_already_done(tmp_path):
    from gom.edge_jobs import compute_edge_block, compute_edges, read_edges
    from gom.profile_sets import build_shard
    from gom.profiles import save_profile

    profiles = _random_profiles(5, seed=2)  # d0-d1 a shard; d2-d5 the block; d2's own file exists
    names = [f"d{i}" for i in range(len(profiles))]
    for name, p in zip(names, profiles):
        save_profile(p, tmp_path / f"{name}.npz", name)
    build_shard(names[:2], [tmp_path / f"{n}.npz" for n in names[:2]], tmp_path / "shard_0.npz")
    metrics = ["mean_cosine", "jaccard", "tfidf_cosine"]
    shards = [(names[:2], tmp_path / "shard_0.npz")]
    compute_edges("d2", tmp_path / "d2.npz", shards, [], tmp_path / "own_d2.npz", metrics)
    members = [(n, tmp_path / f"{n}.npz") for n in names[2:6]]
    summary = compute_edge_block(members, shards, [("d2", tmp_path / "own_d2.npz")], tmp_path / "block.npz", metrics)
    assert summary == {"datasets": 4, "copied": 1, "pairs_computed": 3 + 4 + 5}
    records = read_edges(tmp_path / "block.npz")
    assert [r[0] for r in records] == names[2:6]
    for name, _, partners, _, values in records:
        i = names.index(name)
        assert partners == names[:i]
        for j in range(i):
            expected = pair_metrics(profiles[j], profiles[i], metrics)
            assert all(abs(values[m][j] - expected[m]) <= 1e-9 for m in metrics)
    compute_edges("d3", tmp_path / "d3.npz", shards, [], tmp_path / "own_d3.npz", metrics)  # lacks d2
    with pytest.raises(GomError, match=r"own_d3.npz holds edges of 'd3' to other datasets than those listed before"):
        compute_edge_block(members, shards, [("d3", tmp_path / "own_d3.npz")], tmp_path / "block.npz", metrics)
