"""Stage: answers, not only losses. Greedy answers to held-out prompts, scored against the references.

For each dataset, the first ``rows`` of its held-out rows (in file order; nothing is chosen on
them) are answered three ways: by the plain base, by the dataset's own miniModel, and routed as
``gom ask`` does (the router picks a miniModel from the row's text, or abstains to the base, or
names two to compose where it is unsure and the route_quality job kept composing).
Each answer is scored against the row's reference response with chrF (sacrebleu), per row and
per dataset (corpus chrF). A routed row whose choice is its own miniModel is the same greedy
answer to the same prompt, so it is generated once.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gom.io import atomic_path, write_json
from gom.lm.chat import chat_format, render_question, stop_ids
from gom.lm.data import load_rows, render_pairs

log = logging.getLogger("gom.answers")
BASE = None  # the adapter key of the plain base


def greedy(model, tokenizer, prompts: list[str], max_new_tokens: int, device: str, batch: int = 64) -> list[str]:
    """Greedy answers to ``prompts`` (each already rendered), decoded in left-padded batches, each
    ended at the first token that ends an answer.

    A decode step reads every weight once whatever the batch, so on a CPU 48 rows in one batch
    cost little more than 16: the sample's 48 base answers took 63 s in batches of 16 and 40 s in
    one (SmolLM2-135M, 96 new tokens, 2 cores), the same answers."""
    import torch

    ends = sorted(stop_ids(tokenizer, getattr(model, "generation_config", None)))
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths pad little
    answers: dict[int, str] = {}
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        encoded = [tokenizer.encode(prompts[i], add_special_tokens=False) for i in chunk]
        width = max(len(e) for e in encoded)
        pad = tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded], dtype=torch.long, device=device)
        mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], dtype=torch.long, device=device)
        with torch.no_grad():
            generated = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                eos_token_id=ends,
                pad_token_id=pad,
            )
        for i, row in zip(chunk, generated[:, width:].tolist()):
            cut = next((k for k, t in enumerate(row) if t in ends), len(row))
            answers[i] = tokenizer.decode(row[:cut], skip_special_tokens=True).strip()
    return [answers[i] for i in range(len(prompts))]


def chrf(hypotheses: list[str], references: list[str]) -> tuple[float, list[float]]:
    """(corpus chrF, each sentence's chrF), on sacrebleu's 0-100 scale."""
    from sacrebleu.metrics import CHRF

    metric = CHRF()
    rows = [metric.sentence_score(h, [r]).score for h, r in zip(hypotheses, references)]
    return metric.corpus_score(hypotheses, [references]).score, rows


def answer_report(
    datasets: Mapping[str, Mapping],
    routing_dir: str | Path,
    out_csv: str | Path,
    out_json: str | Path,
    rows: int = 16,
    max_new_tokens: int = 96,
    embedding_model: str | None = None,
) -> dict:
    """Answer the first ``rows`` held-out rows of every dataset (``datasets``: {name: {parquet,
    model_dir, templates, lora, split}}) with the base, the own miniModel and the routed one; write
    every answer with its chrF to ``out_csv`` and the scores per dataset to ``out_json``."""
    from gom.device import pick_device
    from gom.lm.generate import one_base, read_info
    from gom.lm.transfer import adapter_base
    from gom.routing.router import Router

    names = list(datasets)
    questions = []  # (dataset, row, text, own prompt, reference)
    for name, d in datasets.items():
        table, held = load_rows(name, d["parquet"], d["templates"], d["split"])
        pairs = render_pairs(name, table, d["templates"])
        # a row needs a question (a dataset trained as plain continuation has none) and a reference
        chosen = [int(r) for r in np.flatnonzero(held) if pairs[r][0].strip() and pairs[r][1].strip()][:rows]
        texts = table["text"].to_list()
        questions += [(name, r, texts[r], pairs[r][0], pairs[r][1].strip()) for r in chosen]
    answered = list(dict.fromkeys(q[0] for q in questions))
    skipped = [name for name in names if name not in answered]
    report = {"rows_per_dataset": rows, "max_new_tokens": max_new_tokens, "metric": "chrF", "datasets": {}}
    report["skipped"] = {
        name: "no held-out row with both a prompt and a response (a dataset without train.prompt has no question)"
        for name in skipped
    }
    if not questions:
        log.info("answers: no dataset has a held-out question with a reference; nothing to answer")
        _write(out_csv, [])
        write_json(out_json, report)
        return {}
    routed = Router(routing_dir, embedding_model=embedding_model).route([q[2] for q in questions], top_k=1)
    choices = [r["choice"] for r in routed]
    # what answers a routed row: its chosen miniModel, or the two composed where the router is unsure
    keys = [tuple((p["model"], p["weight"]) for p in r["mix"]) if r.get("mix") else r["choice"] for r in routed]

    infos = {Path(d["model_dir"]): read_info(d["model_dir"]) for d in datasets.values()}
    one_base(infos)
    base = adapter_base(datasets[names[0]]["model_dir"], datasets[names[0]]["lora"]["base_model"])
    device = pick_device("auto", "generation")
    model, tokenizer = _load(base, datasets[names[0]]["lora"], device)
    chat = chat_format(tokenizer, f"base model '{base}'")
    system = {name: d["templates"].get("system") for name, d in datasets.items()}
    prompt_of = {name: d["templates"]["prompt"] for name, d in datasets.items()}

    # (adapter or BASE) -> {question index: the prompt it is given}
    jobs: dict[str | None, dict[int, str]] = {}
    for k, (name, _, text, own_prompt, _) in enumerate(questions):
        framed = chat.prompt(own_prompt, system[name]) if chat else own_prompt
        jobs.setdefault(BASE, {})[k] = framed
        jobs.setdefault(name, {})[k] = framed
        choice = choices[k]
        if keys[k] != name:  # as `gom ask`: the router's miniModel, its template over the row's text
            info = {"prompt": prompt_of[choice], "system": system[choice]} if choice else None
            jobs.setdefault(keys[k] or BASE, {}).setdefault(-1 - k, render_question(info, chat, text))
    answers = _generate_all(
        model, tokenizer, jobs, {n: d["model_dir"] for n, d in datasets.items()}, max_new_tokens, device
    )

    table_rows = []
    for name in answered:
        ks = [k for k, q in enumerate(questions) if q[0] == name]
        refs = [questions[k][4] for k in ks]
        systems = {
            "base": [answers[BASE][k] for k in ks],
            "own": [answers[name][k] for k in ks],
            "routed": [answers[name][k] if keys[k] == name else answers[keys[k] or BASE][-1 - k] for k in ks],
        }
        entry = {"rows": len(ks), "routed_to_own": sum(choices[k] == name for k in ks) / max(len(ks), 1)}
        entry["routed_composed"] = sum(isinstance(keys[k], tuple) for k in ks)
        for system_name, hyps in systems.items():
            corpus, per_row = chrf(hyps, refs)
            entry[system_name] = corpus
            for k, h, score in zip(ks, hyps, per_row):
                model_name = "base" if system_name == "base" else name if system_name == "own" else _named(keys[k])
                table_rows.append([name, questions[k][1], system_name, model_name, h, questions[k][4], f"{score:.2f}"])
        report["datasets"][name] = entry
        log.info("%s: chrF base %.1f, own %.1f, routed %.1f", name, entry["base"], entry["own"], entry["routed"])
    for system_name in ("base", "own", "routed"):
        report[f"mean_{system_name}"] = float(np.mean([e[system_name] for e in report["datasets"].values()]))
    report["examples"] = {name: _example(table_rows, name) for name in answered}
    _write(out_csv, table_rows)
    write_json(out_json, report)
    return {k: v for k, v in report.items() if k.startswith("mean_")}


def _write(out_csv, table_rows: list[list]) -> None:
    with atomic_path(out_csv) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["dataset", "row", "system", "model", "answer", "reference", "chrf"])
            writer.writerows(table_rows)


def _example(table_rows: list[list], name: str) -> dict:
    """The first question's answers side by side, for the report."""
    mine = [r for r in table_rows if r[0] == name]
    first = mine[0][1]
    return {"row": first, "reference": mine[0][5], **{r[2]: r[4] for r in mine if r[1] == first}}


def _named(key) -> str:
    """A routed answer's model as the CSV names it: a miniModel, 'base', or 'a 0.6 + b 0.4'."""
    if isinstance(key, tuple):
        return " + ".join(f"{n} {w:.1f}" for n, w in key)
    return key or "base"


def _load(base: str, lora: Mapping, device: str):
    from gom.lm.loading import load_base

    # trust_remote_code comes from the config only, never from a miniModel's gom.json.
    return load_base(base, lora["revision"], lora["trust_remote_code"], device)


def _generate_all(model, tokenizer, jobs, model_dirs, max_new_tokens: int, device: str) -> dict:
    """{adapter, composed pair or BASE: {key: answer}}: the base first, then each adapter (or pair,
    composed) in turn, only the adapters in use kept in memory."""
    from gom.lm.loading import attach_adapter, compose_adapters

    def answer(model, prompts: dict) -> dict:
        return dict(zip(prompts, greedy(model.eval(), tokenizer, list(prompts.values()), max_new_tokens, device)))

    answers = {BASE: answer(model, jobs.get(BASE, {}))}
    loaded: set[str] = set()
    for key, prompts in jobs.items():
        if key is BASE:
            continue
        parts = key if isinstance(key, tuple) else ((key, 1.0),)
        for name, _ in parts:
            if name not in loaded:
                model = attach_adapter(model, model_dirs[name], adapter_name=name)
                loaded.add(name)
        active = compose_adapters(model, [n for n, _ in parts], [w for _, w in parts]) if len(parts) > 1 else key
        model.set_adapter(active)
        for stale in sorted(set(model.peft_config) - {active, *(n for n, _ in parts)}):
            model.delete_adapter(stale)
            loaded.discard(stale)
        answers[key] = answer(model, prompts)
    return answers
