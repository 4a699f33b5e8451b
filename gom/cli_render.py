"""How the `gom` command prints what is not a plain answer: the router's explanation."""

from __future__ import annotations


def explanation(explained: dict) -> str:
    threshold = explained["threshold"]
    verdict = f"chosen: {explained['choice']}" if explained["choice"] else "no suitable miniModel (the router abstains)"
    lines = [
        f"router: {explained['method']}; {verdict}",
        f"in-domain score ({explained['abstain_score']}): {explained['in_domain_score']:.3f}"
        + ("" if threshold is None else f", threshold {threshold:.3f}"),
    ]
    for d in explained["datasets"]:
        role = "chosen" if d["rank"] == 1 else "runner-up"
        lines.append(f"\n{d['rank']}. {d['model']} ({role}, score {d['score']:.4f})")
        lines.append("   nearest training rows:")
        for r in d["nearest_rows"]:
            text = (r["text"] or "").replace("\n", " ")
            lines.append(f"     {r['similarity']:.3f}  row {r['row']}: {text[:100]}{'...' if len(text) > 100 else ''}")
        terms = ", ".join(f"{t['term']} ({t['weight']:+.3f})" for t in d["terms"]) or "none of the query's terms"
        lines.append(f"   terms that raise its lexical score: {terms}")
    return "\n".join(lines)
