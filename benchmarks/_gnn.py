"""Does a GCN over the dataset graph predict transfer better than the edge metrics alone?

The question the model recommender asked of its graph, asked here of miniModels: for a pair
(adapter a, dataset b) that was not cross-evaluated, how much does a help b? The evaluated pairs
(every ordered pair of different datasets) are cut into folds; each fold's gains are predicted
from the other folds' only, so every pair gets one out-of-fold prediction, and the predictions
are judged as the edge metrics are (pooled Spearman, and per target dataset Regret@1 / Regret@3
/ NDCG@3 with gom.lm.source_ranking). Hyper-parameters (the single metric, the ridge penalty,
the GCN's epochs) are chosen on a validation share of each fold's training pairs.

Predictors:
- the best single metric (chosen by Spearman on the training pairs);
- ridge regression on the pair's metrics;
- ridge on the metrics plus the source's and the target's mean gain over the training pairs
  (some adapters help every dataset; some datasets are helped by every adapter);
- a two-layer GCN (plain torch) over the datasets' kNN graph by mean_cosine, node features = each
  dataset's rows of every metric matrix and its training-pair mean gains as source and target,
  the pair scored by an MLP over both nodes' embeddings and the pair's metrics.
"""

from __future__ import annotations

import numpy as np
from _route_models import metrics_of, pair_losses
from scipy.stats import spearmanr

from gom.lm.source_ranking import source_ranking

FOLDS = 5
RIDGE = (0.1, 1.0, 10.0)
EPOCHS = (100, 300)


def gnn_verdict(m: dict, seed: int) -> dict:
    names = [str(x) for x in m["names"]]
    n = len(names)
    losses, base = pair_losses(m)
    gains = np.full((n, n), np.nan)
    for (i, j), v in losses.items():
        if i != j:
            gains[i, j] = base[(i, j)] - v
    metrics = metrics_of(m)
    pairs = np.array([(i, j) for i in range(n) for j in range(n) if i != j])
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(pairs)) % FOLDS
    predictors = ["best single metric", "ridge on metrics", "ridge on metrics + source/target means", "gcn"]
    predicted = {p: np.full((n, n), np.nan) for p in predictors}
    chosen: dict[str, list] = {p: [] for p in predictors}
    for f in range(FOLDS):
        train, test = pairs[fold != f], pairs[fold == f]
        inner = rng.random(len(train)) < 0.2
        for p in predictors:
            pick, values = _fit_predict(p, train, test, inner, gains, metrics, n, seed)
            predicted[p][test[:, 0], test[:, 1]] = values
            chosen[p].append(pick)
    truth = gains[pairs[:, 0], pairs[:, 1]]
    gain_of = {(int(i), int(j)): float(gains[i, j]) for i, j in pairs}
    ranking = source_ranking(names, gain_of, {p: np.nan_to_num(v, nan=-np.inf) for p, v in predicted.items()})
    report = {
        p: {
            "spearman": float(spearmanr(predicted[p][pairs[:, 0], pairs[:, 1]], truth)[0]),
            **ranking["rankers"][p],
            "chosen": chosen[p],
        }
        for p in predictors
    }
    report["random"] = ranking["rankers"]["random"]
    report["generic_best (all pairs, not out-of-fold)"] = ranking["rankers"]["generic_best"]
    plain = [p for p in predictors if p != "gcn"]
    best_plain = max(plain, key=lambda p: report[p]["spearman"])
    wins = report["gcn"]["spearman"] > report[best_plain]["spearman"] and report["gcn"]["regret@1"] < min(
        report[p]["regret@1"] for p in plain
    )
    return {"pairs": len(pairs), "folds": FOLDS, "predictors": report, "best_plain": best_plain, "gcn_wins": wins}


def _pair_features(pairs: np.ndarray, metrics: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([mat[pairs[:, 0], pairs[:, 1]] for mat in metrics.values()])


def _means(train: np.ndarray, gains: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each dataset's mean gain as a source and as a target over ``train`` pairs (0 if none)."""
    g = gains[train[:, 0], train[:, 1]]
    source, target = np.zeros(n), np.zeros(n)
    for v in range(n):
        s, t = train[:, 0] == v, train[:, 1] == v
        source[v] = g[s].mean() if s.any() else 0.0
        target[v] = g[t].mean() if t.any() else 0.0
    return source, target


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float):
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    z1 = np.column_stack([z, np.ones(len(z))])
    reg = alpha * np.eye(z1.shape[1])
    reg[-1, -1] = 0
    w = np.linalg.solve(z1.T @ z1 + reg, z1.T @ y)
    return lambda q: np.column_stack([(q - mu) / sd, np.ones(len(q))]) @ w


def _fit_predict(kind, train, test, inner, gains, metrics, n, seed):
    y = gains[train[:, 0], train[:, 1]]
    if kind == "best single metric":
        feats = _pair_features(train, metrics)
        rho = [spearmanr(feats[:, k], y)[0] for k in range(feats.shape[1])]
        k = int(np.nanargmax(rho))
        return list(metrics)[k], _pair_features(test, metrics)[:, k]
    if kind == "gcn":
        return _gcn(train, test, inner, gains, metrics, n, seed)

    def features(pairs, fit_pairs):
        x = _pair_features(pairs, metrics)
        if kind.endswith("means"):
            source, target = _means(fit_pairs, gains, n)
            x = np.column_stack([x, source[pairs[:, 0]], target[pairs[:, 1]]])
        return x

    fit, val = train[~inner], train[inner]
    errors = {}
    for alpha in RIDGE:
        model = _ridge(features(fit, fit), gains[fit[:, 0], fit[:, 1]], alpha)
        errors[alpha] = float(np.mean((model(features(val, fit)) - gains[val[:, 0], val[:, 1]]) ** 2))
    alpha = min(errors, key=errors.get)
    model = _ridge(features(train, train), y, alpha)
    return alpha, model(features(test, train))


def _gcn(train, test, inner, gains, metrics, n, seed):
    import torch

    fit, val = train[~inner], train[inner]
    errors = {epochs: _train_gcn(fit, val, gains, metrics, n, seed, epochs)[1] for epochs in EPOCHS}
    epochs = min(errors, key=errors.get)
    predict, _ = _train_gcn(train, test, gains, metrics, n, seed, epochs)
    with torch.no_grad():
        return epochs, predict


def _train_gcn(train, test, gains, metrics, n, seed, epochs):
    """(predictions for ``test``, their MSE) of a GCN trained on ``train``'s gains."""
    import torch

    torch.manual_seed(seed)
    source, target = _means(train, gains, n)
    blocks = [np.where(np.eye(n, dtype=bool), 0.0, mat) for mat in metrics.values()]
    x = np.column_stack([*blocks, source, target])
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-9)
    sim = metrics.get("mean_cosine", next(iter(metrics.values()))).copy()
    np.fill_diagonal(sim, -np.inf)
    adj = np.eye(n)
    for v in range(n):
        for u in np.argsort(-sim[v])[:5]:
            adj[v, u] = adj[u, v] = 1.0
    d = 1 / np.sqrt(adj.sum(axis=1))
    a_hat = torch.tensor(d[:, None] * adj * d[None, :], dtype=torch.float32)
    xt = torch.tensor(x, dtype=torch.float32)
    pf_train, pf_test = (torch.tensor(_pair_features(p, metrics), dtype=torch.float32) for p in (train, test))
    mu, sd = pf_train.mean(0), pf_train.std(0) + 1e-9
    pf_train, pf_test = (pf_train - mu) / sd, (pf_test - mu) / sd
    y = torch.tensor(gains[train[:, 0], train[:, 1]], dtype=torch.float32)
    y_mu, y_sd = y.mean(), y.std() + 1e-9
    w1, w2 = torch.nn.Linear(x.shape[1], 32), torch.nn.Linear(32, 16)
    head = torch.nn.Sequential(torch.nn.Linear(32 + pf_train.shape[1], 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    params = [*w1.parameters(), *w2.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=0.01, weight_decay=1e-3)

    def forward(pairs, pf):
        h = torch.relu(a_hat @ w1(xt))
        h = a_hat @ w2(h)
        i, j = torch.tensor(pairs[:, 0]), torch.tensor(pairs[:, 1])
        return head(torch.cat([h[i], h[j], pf], dim=1)).squeeze(1)

    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.mean((forward(train, pf_train) - (y - y_mu) / y_sd) ** 2)
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = (forward(test, pf_test) * y_sd + y_mu).numpy().astype(float)
    return out, float(np.mean((out - gains[test[:, 0], test[:, 1]]) ** 2))


def gnn_table(results: dict[int, dict]) -> str:
    seeds = list(results)
    lines = ["| predictor | Spearman | Regret@1 | Regret@3 | NDCG@3 |", "|---|---:|---:|---:|---:|"]
    for p in results[seeds[0]]["predictors"]:
        cells = []
        for key in ("spearman", "regret@1", "regret@3", "ndcg@3"):
            vals = [results[s]["predictors"][p].get(key) for s in seeds]
            vals = [v for v in vals if v is not None]
            pct = key.startswith("regret")
            cells.append(" / ".join(f"{100 * v:.1f}%" if pct else f"{v:.3f}" for v in vals))
        lines.append(f"| {p} | " + " | ".join(cells) + " |")
    verdicts = ", ".join(f"seed {s}: {'wins' if results[s]['gcn_wins'] else 'does not win'}" for s in seeds)
    return "\n".join(lines) + f"\n\nGCN against the best plain predictor: {verdicts}"
