"""Stage: routing in model-quality terms.

Accuracy says whether the router picked the dataset a query came from; what a user gets is the
answer of the miniModel it picked. For every held-out row this measures the loss (mean
cross-entropy per response token) of the miniModel the router picks, of the row's own miniModel
(the oracle) and of the base model (those two as the training job of the row's dataset measured
them, where it measured the same rows and settings), and reports the routed improvement over the
base as a percentage of the oracle's: 100% means routing loses nothing against always knowing the dataset.

It also tries composing adapters when the router is unsure (``gom.routing.compose``): the top
two adapters merged with PEFT's ``add_weighted_adapter`` (``cat``: the exact weighted sum of
their low-rank updates, weights from the router's probabilities). The trial is judged on
validation rows, with the probabilities the router gave them before it was refitted on them;
composition is applied to the held-out rows only if it beat top-1 there, and the report's verdict
(with the index's sha256) is what ``gom ask``, ``gom serve`` and the answers job follow. (The
miniModels train on the validation rows too, so the trial leans towards top-1; the report says so.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gom.device import pick_device
from gom.errors import GomError
from gom.io import load_npz, sha256_file, verified_checksum, write_json
from gom.lm.held_out import held_out_key, recorded
from gom.lm.loss_cache import base_key
from gom.lm.transfer import adapter_base
from gom.routing.compose import UNSURE, mix
from gom.routing.data import HELD_OUT, routing_rows
from gom.routing.index import route_probabilities
from gom.routing.index_file import load_index

log = logging.getLogger("gom.routing")


def routing_quality(index_path, validation_path, datasets: Mapping[str, Mapping], out_json) -> dict:
    """``datasets``: one record per dataset with ``parquet``, ``embeddings``, ``split``,
    ``validation``, ``templates``, ``lora`` and ``model_dir`` (its miniModel)."""
    index = load_index(index_path)
    names = list(datasets)
    if names != index.names:
        raise GomError(f"{index_path} routes to {index.names}, the config lists {names}: rebuild the index")
    device = pick_device("auto", "routing quality")
    evaluator = _Losses(datasets, device)

    # Validation: does composing the top two adapters beat the top one where the router is unsure?
    z = load_npz(validation_path)
    val_p, val_labels, val_rows = z["probabilities"], z["labels"], z["rows"]
    unsure = np.flatnonzero(val_p.max(axis=1) < UNSURE)
    trial = _composition_trial(evaluator, val_p[unsure], val_labels[unsure], val_rows[unsure])

    # Held-out rows: the routed adapter against the oracle and the base.
    held = routing_rows(datasets, (HELD_OUT,))
    scores = index.scores(held.vectors, texts=held.texts)
    p = route_probabilities(index.choice, scores)
    routed = p.argmax(axis=1)
    own = evaluator.adapter_losses(held.labels, held.labels, held.numbers)
    picked = own.copy()  # a row routed to its own miniModel has its own loss: evaluate only the others
    elsewhere = np.flatnonzero(routed != held.labels)
    picked[elsewhere] = evaluator.adapter_losses(routed[elsewhere], held.labels[elsewhere], held.numbers[elsewhere])
    base = evaluator.base_losses(held.labels, held.numbers)
    kept = np.isfinite(own) & np.isfinite(picked) & np.isfinite(base)  # rows with a response to score
    report = {
        "measure": "mean cross-entropy per response token of each held-out row, averaged over rows",
        "held_out_rows": int(kept.sum()),
        "rows_without_a_response": int((~kept).sum()),
        "router": index.choice.router,
        **_percent(base[kept], own[kept], picked[kept]),
        "routed_to_own_dataset": float((routed[kept] == held.labels[kept]).mean()) if kept.any() else None,
        "composition": trial,
        "index_sha256": sha256_file(index_path),  # the index the verdict holds for
    }
    if trial["kept"]:
        held_unsure = np.flatnonzero(kept & (p.max(axis=1) < UNSURE))
        composed = picked.copy()
        composed[held_unsure] = evaluator.composed_losses(
            p[held_unsure], held.labels[held_unsure], held.numbers[held_unsure]
        )
        report["with_composition"] = {
            "unsure_rows": int(len(held_unsure)),
            **_percent(base[kept], own[kept], composed[kept]),
        }
    write_json(out_json, report)
    return {k: report[k] for k in ("percent_of_oracle", "routed_loss", "oracle_loss", "base_loss")}


def _percent(base: np.ndarray, oracle: np.ndarray, routed: np.ndarray) -> dict:
    b, o, r = (float(x.mean()) if len(x) else float("nan") for x in (base, oracle, routed))
    gain = b - o
    return {
        "base_loss": b,
        "oracle_loss": o,
        "routed_loss": r,
        "percent_of_oracle": 100 * (b - r) / gain if gain > 0 else None,
    }


def _composition_trial(evaluator, p: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> dict:
    out = {
        "unsure_below": UNSURE,
        "validation_rows_unsure": int(len(labels)),
        "kept": False,
        # The miniModels train on every non-held-out row, validation rows included: where the top
        # adapter is the row's own it has seen the row, which favours top-1 in this comparison.
        "caveat": "the adapters were trained on these validation rows (the row's own adapter has seen it)",
    }
    if len(labels) == 0:
        out["why"] = "the router was sure of every validation row: nothing to compose"
        return out
    top1 = evaluator.adapter_losses(p.argmax(axis=1), labels, rows)
    composed = evaluator.composed_losses(p, labels, rows)
    ok = np.isfinite(top1) & np.isfinite(composed)
    out.update(
        {
            "validation_top1_loss": float(top1[ok].mean()) if ok.any() else None,
            "validation_composed_loss": float(composed[ok].mean()) if ok.any() else None,
        }
    )
    out["kept"] = bool(ok.any() and composed[ok].mean() < top1[ok].mean())
    out["why"] = "composition beat top-1 on validation" if out["kept"] else "top-1 was as good or better on validation"
    return out


class _Losses:
    """Per-row losses of adapters (alone or composed) and bases on datasets' rows; one base in
    memory at a time, each dataset's rows tokenised once per base."""

    def __init__(self, datasets: Mapping[str, Mapping], device: str):
        self.datasets, self.names, self.device = datasets, list(datasets), device
        self.base_of = [
            adapter_base(d["model_dir"], d["lora"]["base_model"]) for d in datasets.values()
        ]  # each miniModel's base
        self._loaded, self._tokens, self._pairs, self._records, self._base_keys = None, {}, {}, {}, {}

    def base_losses(self, datasets_idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The loss of each row's own dataset's base on it."""
        return self._run([(None, (), int(j), int(r)) for j, r in zip(datasets_idx, rows)])

    def adapter_losses(self, adapters: np.ndarray, datasets_idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self._run([((int(a),), (1.0,), int(j), int(r)) for a, j, r in zip(adapters, datasets_idx, rows)])

    def composed_losses(self, p: np.ndarray, datasets_idx: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The top two adapters of each row merged with weights from ``p`` (``compose.mix``); top-1
        alone where the two have different bases or the weights leave the top one alone."""
        jobs = []
        for probs, j, r in zip(p, datasets_idx, rows):
            parts = mix(probs)
            if parts is None or self.base_of[parts[0][0]] != self.base_of[parts[1][0]]:
                jobs.append(((int(np.argmax(probs)),), (1.0,), int(j), int(r)))
                continue
            jobs.append((tuple(a for a, _ in parts), tuple(w for _, w in parts), int(j), int(r)))
        return self._run(jobs)

    def _run(self, jobs: list[tuple]) -> np.ndarray:
        """Losses of (adapters or None, weights, dataset, row) jobs, grouped by base and adapter set."""
        out = np.full(len(jobs), np.nan)
        groups: dict[tuple, list[int]] = {}
        for k, (adapters, weights, j, row) in enumerate(jobs):
            trained = self._trained(j) if not adapters or adapters == (j,) else None
            if trained is not None and row in trained:  # measured by the training job of dataset j
                out[k] = np.nan if trained[row] is None else trained[row][2 if not adapters else 1]
                continue
            base = self.base_of[adapters[0]] if adapters else self.base_of[j]
            groups.setdefault((base, adapters, weights), []).append(k)
        for (base, adapters, weights), members in sorted(groups.items(), key=lambda g: g[0][0]):  # one base at a time
            model, tokenizer = self._model(base, adapters, weights)
            by_dataset: dict[int, list[int]] = {}
            for k in members:
                by_dataset.setdefault(jobs[k][2], []).append(k)
            for j, ks in by_dataset.items():
                examples = self._examples(base, j, tokenizer, {jobs[k][3] for k in ks})
                present = [k for k in ks if jobs[k][3] in examples]
                if present:
                    from gom.lm.losses import example_losses

                    mbs = self.datasets[self.names[j]]["lora"]["micro_batch_size"]
                    values = example_losses(
                        model, [examples[jobs[k][3]] for k in present], tokenizer.pad_token_id, mbs, self.device
                    )
                    if not np.isfinite(values).all():
                        raise GomError(
                            f"routing quality: a non-finite loss on dataset {self.names[j]!r} "
                            f"({'the base' if not adapters else 'adapters ' + ', '.join(self.names[a] for a in adapters)})"
                        )
                    out[present] = values
        return out

    def _trained(self, j: int) -> dict | None:
        """The held-out losses of dataset j's own adapter and its base that its training job
        measured (``gom.lm.held_out``), when measured on these rows and settings."""
        if j not in self._records:
            d, base = self.datasets[self.names[j]], self.base_of[j]
            which = (base, d["lora"]["revision"])
            if which not in self._base_keys:  # the checksums of the base's files, once per base
                self._base_keys[which] = base_key(*which)
            key = held_out_key(
                self._base_keys[which],
                verified_checksum(d["parquet"]),
                d["templates"],
                d["split"],
                d["lora"]["max_length"],
                self.device,
            )
            self._records[j] = recorded(d["model_dir"], key)
        return self._records[j]

    def _model(self, base: str, adapters: tuple, weights: tuple):
        from peft import PeftModel

        from gom.lm.loading import attach_adapter, compose_adapters, load_base

        if self._loaded is None or self._loaded[0] != base:
            first = self.names[self.base_of.index(base)]
            lora = self.datasets[first]["lora"]
            # trust_remote_code comes from the config only, never from a miniModel's gom.json.
            model, tokenizer = load_base(base, lora["revision"], lora["trust_remote_code"], self.device)
            self._loaded = (base, model, tokenizer, set())
        _, model, tokenizer, present = self._loaded
        if not adapters:
            return (_BaseOnly(model) if isinstance(model, PeftModel) else model), tokenizer
        for a in adapters:
            name = f"a{a}"
            if name in present:
                continue
            model_dir = str(Path(self.datasets[self.names[a]]["model_dir"]))
            model = attach_adapter(model, model_dir, adapter_name=name)
            present.add(name)
        if len(adapters) == 1:
            target = f"a{adapters[0]}"
        else:
            target = compose_adapters(model, [f"a{a}" for a in adapters], list(weights))
        model.set_adapter(target)
        self._loaded = (base, model, tokenizer, present)
        return model, tokenizer

    def _examples(self, base: str, j: int, tokenizer, rows: set[int]) -> dict:
        """Dataset j's ``rows`` tokenised for ``base`` (cut at its own lora.max_length, as in
        training), by row number; a row with an empty response has none."""
        from gom.lm.data import load_rows, render_pairs, tokenize

        name = self.names[j]
        d = self.datasets[name]
        if name not in self._pairs:
            table, _ = load_rows(name, d["parquet"], d["templates"], d["split"])
            self._pairs[name] = render_pairs(name, table, d["templates"])
        done = self._tokens.setdefault((base, j), {})
        todo = sorted(rows - set(done))
        if todo:
            examples = tokenize(
                name, self._pairs[name], todo, tokenizer, d["lora"]["max_length"], d["templates"].get("system")
            )
            done.update({e.row: e for e in examples})
            done.update({r: None for r in todo if r not in done})
        return {r: e for r, e in done.items() if e is not None}


class _BaseOnly:
    """A PEFT model seen with its adapters switched off (the base's own losses)."""

    def __init__(self, model):
        self.model = model

    def eval(self):
        self.model.eval()
        return self

    def __call__(self, **kwargs):
        with self.model.disable_adapter():
            return self.model(**kwargs)
