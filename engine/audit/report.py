"""The audit's reports: summary.json, items.csv, report.md and one self-contained report.html.

Stage: audit (rendering). Input: the output folder (items.jsonl is read back line by line), the
summary document and the listings from `summarize`. Output: the four files. Raises OSError
only if the folder cannot be written.

report.html is a single file with inline CSS and inline SVG: no script, no font, no image, no
link to anything outside itself, so it opens the same offline, from an e-mail or an archive.
Listed items are read back from items.jsonl by byte offset, in a fixed order, so memory does
not grow with the corpus and the same items give the same report.
"""
from __future__ import annotations

import csv
from html import escape
from pathlib import Path

from . import charts
from .items import CSV_FIELDS, csv_row
from .store import ERRORS, ITEMS, read_jsonl, read_line_at
from .summary import to_json

MODE_TITLE = {
    "summary": "summary mode: a blind prediction from the case summary and the item line",
    "full": "full mode: also the findings the reviewer states in the rationale",
}
OUTCOME = {"certify": "CERTIFY (Overturn)", "non_certify": "NON-CERTIFY (Uphold)", "no_rule": "NO RULE"}
RESULT_MARK = {"met": "met", "unmet": "UNMET", "unknown": "unknown"}
TOP_GROUPS = 20
DOT, DASH = " \u00b7 ", " \u2014 "


# --------------------------------------------------------------------------- formatting

def pct(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def num(value, digits: int = 2) -> str:
    return "undefined" if value is None else f"{value:.{digits}f}"


def ci(interval) -> str:
    return "" if not interval else f"{interval[0] * 100:.0f}\u2013{interval[1] * 100:.0f}%"


def _ws(text: str) -> str:
    return " ".join((text or "").split())


def _baseline_class(f: dict) -> str:
    b = f.get("baseline")
    return b["class"].capitalize() if b else "the commoner outcome"


def headline(f: dict) -> list[tuple[str, str, str]]:
    """(figure, value, how to read it) for one group's figures."""
    o, r = f["overturned"], f["reasons"]
    return [
        ("Items", str(f["items"]), f"{f['covered']} with a rule, {f['no_rule']} with no rule"),
        ("Coverage", pct(f["coverage"]), "share of items some rule applies to (outcome is not no_rule)"),
        ("Agreement (covered)", pct(f["agreement"]),
         f"{f['agreeing']} of {f['compared_covered']} covered items with a known outcome; 95% CI {ci(f['agreement_ci95']) or 'n/a'}"),
        ("Majority baseline", pct((f["baseline"] or {}).get("agreement")),
         f"what always answering {_baseline_class(f)} would score on the same items"),
        ("Cohen's kappa", num(f["kappa"]), "agreement beyond chance: 0 = no better than chance, 1 = perfect"),
        ("Overturn precision", pct(o["precision"]), f"{o['found']} of {o['predicted']} items the engine would overturn"),
        ("Overturn recall", pct(o["recall"]),
         f"{o['found']} of {o['actual']} overturned items found; 95% CI {ci(o['recall_ci95']) or 'n/a'}"),
        ("Reason agreement", pct(r["agreement"]),
         f"{r['matched']} of {r['eligible']} upheld items the engine also denies, with a failing criterion the reviewer names"),
        ("Agreement, no rule counted as a miss", pct(f["agreement_all_compared"]),
         f"{f['agreeing']} of {f['compared']} items with a known outcome"),
    ]


def _items_by_mode(summary: dict) -> str:
    by_mode = summary["items"]["by_mode"]
    return ", ".join(f"{n} in {mode} mode" for mode, n in by_mode.items()) or "none"


def _groups(results: dict, key: str) -> list[tuple[str, dict]]:
    rows = list(results[key].items())
    rows.sort(key=lambda kv: (-kv[1]["items"], kv[0]))
    return rows


GROUP_COLUMNS = ["items", "coverage", "compared", "agreement", "95% CI", "baseline", "kappa", "overturned",
                 "recall", "precision", "reason agr."]


def group_cells(f: dict) -> list[str]:
    o = f["overturned"]
    return [str(f["items"]), pct(f["coverage"], 0), str(f["compared_covered"]), pct(f["agreement"], 0),
            ci(f["agreement_ci95"]), pct((f["baseline"] or {}).get("agreement"), 0), num(f["kappa"]),
            str(o["actual"]), pct(o["recall"], 0), pct(o["precision"], 0), pct(f["reasons"]["agreement"], 0)]


# --------------------------------------------------------------------------- csv

def write_csv(out: Path) -> None:
    with open(out / "items.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for _, item in read_jsonl(out / ITEMS):
            writer.writerow(csv_row(item))


# --------------------------------------------------------------------------- markdown

def _md(text) -> str:
    return _ws(str(text)).replace("|", "\\|")


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def _listed(out: Path, entries, name: str = ITEMS):
    if not entries:
        return
    with open(out / name, "rb") as handle:
        for _, offset in entries:
            yield read_line_at(handle, offset)


def write_markdown(out: Path, summary: dict, listing) -> None:
    letters, errors = summary["letters"], summary["errors"]
    with open(out / "report.md", "w", encoding="utf-8") as md:
        w = lambda line="": md.write(line + "\n")  # noqa: E731
        w("# MTUS engine audit")
        w()
        if summary.get("synthetic_items"):
            w(f"**SYNTHETIC: {summary['synthetic_items']} of these items come from generated letters "
              "(engine.synthetic), not real IMR determinations. Do not report them as real-letter figures.**")
            w()
        w(f"{letters['total']} letters: {letters['ok']} read in full, {letters['partial']} in part, "
          f"{letters['errored']} not at all ({errors['total']} errors, see errors.jsonl). "
          f"Items: {_items_by_mode(summary)}. "
          f"Engine {summary['engine']['version']}; rule packs: {', '.join(summary['settings'].get('rule_packs', []))}.")
        w()
        w("How to read these figures: docs/audit.md. Agreement is computed on covered items only and is always "
          "shown beside the majority-class baseline: most items are upheld, so a high agreement can mean little.")
        for mode in summary["modes"]:
            res = summary["results"][mode]
            f = res["overall"]
            w()
            w(f"## {MODE_TITLE.get(mode, mode)}")
            w()
            for line in _md_table(["figure", "value", "how to read it"], [list(r) for r in headline(f)]):
                w(line)
            w()
            m = f["confusion"]
            w("Confusion matrix (rows: engine; columns: reviewer):")
            w()
            for line in _md_table(["", "Overturned", "Upheld"], [
                    ["engine: certify (Overturn)", str(m["predicted_overturned"]["overturned"]), str(m["predicted_overturned"]["upheld"])],
                    ["engine: non-certify (Uphold)", str(m["predicted_upheld"]["overturned"]), str(m["predicted_upheld"]["upheld"])],
                    ["engine: no rule", str(m["no_rule"]["overturned"]), str(m["no_rule"]["upheld"])]]):
                w(line)
            for key, title in (("by_drug_class", "By drug class (or kind of item)"),
                               ("by_section", "By guideline section cited by the reviewer"),
                               ("by_guideline", "By guideline cited by the reviewer")):
                w()
                w(f"### {title} ({mode} mode)")
                w()
                for line in _md_table(["group"] + GROUP_COLUMNS, [[g] + group_cells(gf) for g, gf in _groups(res, key)]):
                    w(line)
        for mode in summary["modes"]:
            entries = listing.disagreements.get(mode, [])
            w()
            w(f"## Disagreements, {mode} mode ({len(entries)})")
            for item in _listed(out, entries):
                w()
                w(f"### {_md(item['letter'])} {item['request_id']}: {_md(item['item'])}")
                w()
                w(f"- engine: **{OUTCOME[item['predicted']]}**; reviewer: **{(item['actual'] or '?').capitalize()}**")
                if item["against"]:
                    w(f"- against rules that hold: {', '.join(item['against'])}")
                if item["unmet"]:
                    w(f"- unmet: {', '.join(item['unmet'])}")
                if item["unknown"]:
                    w(f"- unknown: {', '.join(item['unknown'])}")
                w(f"- engine rationale: {_ws(' '.join(item['engine_rationale']))}")
                for e in item["evidence"]:
                    w(f"  - {e['path']} ({e['value']}): \u201c{_ws(e['quote'])}\u201d")
                cited = "; ".join(item["reviewer_guidelines"] + item["reviewer_sections"])
                w(f"- reviewer cites: {cited or 'nothing recognised'}")
                w(f"- reviewer rationale: {_ws(item['reviewer_rationale'] or '(none)')}")
        for mode in summary["modes"]:
            entries = listing.no_rule.get(mode, [])
            w()
            w(f"## Items no rule applies to, {mode} mode ({len(entries)})")
            w()
            if entries:
                for line in _md_table(["letter", "request", "item", "kind", "reviewer"],
                                      [[i["letter"], i["request_id"], i["item"], i.get("kind") or "", i["actual"] or ""]
                                       for i in _listed(out, entries)]):
                    w(line)
        w()
        w(f"## Errors ({errors['total']})")
        w()
        if listing.errors:
            for line in _md_table(["letter", "mode", "code", "message"],
                                  [[e["letter"], e.get("mode") or "", e["code"], e["message"]]
                                   for e in _listed(out, listing.errors, ERRORS)]):
                w(line)


# --------------------------------------------------------------------------- html

CSS_SYNTHETIC = ".synthetic{background:#fde68a;border:2px solid #b45309;padding:.6em 1em;font-size:1.1em}"
CSS = """
:root{--ink:#1d232a;--muted:#5b6670;--line:#dde2e6;--agree:#1b7f79;--dis:#d95f02;--bg:#f6f7f8;--mark:#ffe58a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1240px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:34px 0 10px;padding-top:8px;border-top:2px solid var(--line)}
h3{font-size:17px;margin:22px 0 8px}h4{margin:0 0 6px;font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
p.sub{color:var(--muted);margin:0 0 12px}
nav{display:flex;flex-wrap:wrap;gap:6px 16px;margin:12px 0 6px;font-size:14px}
nav a{color:var(--agree)}
.note{background:var(--bg);border-left:4px solid var(--agree);padding:8px 12px;margin:12px 0;font-size:14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px;margin:10px 0 16px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fff}
.card .k{font-size:13px;color:var(--muted)}.card .v{font-size:26px;font-weight:650;line-height:1.2}
.card .h{font-size:12px;color:var(--muted)}
.card.key{border-color:var(--agree);box-shadow:inset 4px 0 0 var(--agree)}
.charts{display:flex;flex-wrap:wrap;gap:18px 32px;align-items:flex-start;margin:8px 0}
.charts figure{margin:0}.charts figcaption{font-size:13px;color:var(--muted);max-width:560px}
svg.chart{font-family:inherit;max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 14px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:var(--bg);font-weight:600}
td.t,th.t{text-align:left}
details>summary{cursor:pointer;color:var(--agree);margin:6px 0}
article.d{border:1px solid var(--line);border-radius:8px;margin:14px 0;overflow:hidden}
article.d>header{background:var(--bg);padding:8px 12px;border-bottom:1px solid var(--line)}
article.d>header .where{font-size:13px;color:var(--muted)}article.d>header .item{font-weight:650;font-size:16px}
.pill{display:inline-block;border-radius:12px;padding:1px 10px;font-size:13px;font-weight:600;margin-right:6px;color:#fff}
.pill.eng{background:#44505c}.pill.rev{background:var(--dis)}.pill.ok{background:var(--agree)}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0}
.cols>div{padding:10px 14px;min-width:0}.cols>div+div{border-left:1px solid var(--line)}
@media (max-width:800px){.cols{grid-template-columns:1fr}.cols>div+div{border-left:0;border-top:1px solid var(--line)}}
.rule{margin:6px 0 10px}.rule .rt{font-weight:600}.rule .cit{font-size:12px;color:var(--muted)}
ul.crit{list-style:none;padding:0;margin:4px 0}ul.crit li{margin:3px 0;font-size:14px}
.res{display:inline-block;min-width:64px;font-size:11px;font-weight:700;text-transform:uppercase;border-radius:4px;padding:0 5px;margin-right:6px;text-align:center}
.res.met{background:#d6efe9;color:#0b5a54}.res.unmet{background:#fbd9c2;color:#8a3500}.res.unknown{background:#eceff1;color:#44505c}
.fact{font-size:13px;color:var(--muted);margin-left:76px}
mark{background:var(--mark);padding:0 1px;border-radius:2px}
.rat{font-size:14px;white-space:normal}.matchline{font-size:13px;margin-top:8px}
.small{font-size:13px;color:var(--muted)}
"""


def _e(text) -> str:
    return escape(str(text) if text is not None else "")


def highlight(text: str, quotes: list[str]) -> str:
    """`text` escaped, with every occurrence of each quote (whitespace-insensitive) in <mark>."""
    text = _ws(text)
    spans = []
    low = text.lower()
    for quote in quotes:
        q = _ws(quote).lower().strip(" .")
        if len(q) < 4:
            continue
        start = low.find(q)
        while start >= 0:
            spans.append((start, start + len(q)))
            start = low.find(q, start + len(q))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)


def _fact_html(fact: dict) -> str:
    status = fact.get("status")
    value = {"missing": "not mentioned", "not_documented": "stated as not documented"}.get(status, status) \
        if status else fact.get("value")
    text = f"{_e(fact['path'])}: {_e(value)}"
    if fact.get("scope") == "request":
        text += " (this item)"
    if fact.get("quote"):
        text += f" \u2014 <mark>{_e(_ws(fact['quote']))}</mark>"
        if fact.get("section"):
            text += f" <span class=small>[{_e(fact['section'])}]</span>"
    return f'<div class="fact">{text}</div>'


def _trace_html(item: dict) -> str:
    parts = []
    for rule in item.get("trace") or []:
        parts.append(f'<div class="rule"><div class="rt">[{_e(rule["effect"])}] {_e(rule["status"])}: '
                     f'{_e(rule["title"])}</div><div class="cit">{_e(rule["rule"])} \u00b7 {_e(rule["citation"])}</div>'
                     '<ul class="crit">')
        criteria = list(rule["criteria"]) + ([rule["unless"]] if rule.get("unless") else [])
        for c in criteria:
            parts.append(f'<li><span class="res {c["result"]}">{RESULT_MARK[c["result"]]}</span>{_e(c["id"])}: '
                         f'{_e(c["requires"])}')
            parts.extend(_fact_html(f) for f in c["facts"])
            parts.append("</li>")
        if not criteria:
            parts.append('<li><span class="res met">applies</span>the rule applies to this request</li>')
        parts.append("</ul></div>")
    return "".join(parts)


def _disagreement_html(item: dict, anchor: str) -> str:
    reasons = item.get("reasons") or {}
    quotes = [e["quote"] for e in item.get("evidence") or [] if e.get("section") == "rationale"]
    quotes += [m["quote"] for m in reasons.get("matches") or []]
    cited = item.get("reviewer_guidelines") or []
    sections = item.get("reviewer_sections") or []
    pages = f", p. {_e(item['reviewer_pages'])}" if item.get("reviewer_pages") else ""
    missing = "".join(f"<li>{_e(m)}</li>" for m in item.get("missing_documentation") or [])
    rationale_eng = "".join(f"<li>{_e(s)}</li>" for s in item.get("engine_rationale") or [])
    matches = "".join(f'<div class="matchline">Reason match: {_e(m["criterion"])} \u2190 {_e(m["detail"])}</div>'
                      for m in reasons.get("matches") or [])
    warnings = "".join(f"<li>{_e(w)}</li>" for w in item.get("warnings") or [])
    return (
        f'<article class="d" id="{anchor}"><header>'
        f'<div class="where">{_e(item["letter"])} \u00b7 {_e(item["request_id"])} \u00b7 {_e(item["mode"])} mode'
        f'{DOT + _e(item["drug_class"]) if item.get("drug_class") else ""}</div>'
        f'<div class="item">{_e(item["item"])}</div>'
        f'<span class="pill eng">engine: {_e(OUTCOME[item["predicted"]])}</span>'
        f'<span class="pill rev">reviewer: {_e((item.get("actual") or "?").capitalize())}</span>'
        f'</header><div class="cols"><div><h4>Engine: trace and rationale</h4>'
        f'<ul class="rat">{rationale_eng}</ul>{_trace_html(item)}'
        + (f'<div class="small">Would change the outcome if documented:</div><ul class="small">{missing}</ul>' if missing else "")
        + (f'<div class="small">Extraction warnings:</div><ul class="small">{warnings}</ul>' if warnings else "")
        + f'</div><div><h4>Reviewer: decision and rationale</h4>'
        f'<div class="small">Cites: {_e("; ".join(cited)) or "no guideline recognised"}'
        f'{(DASH + _e("; ".join(sections))) if sections else ""}{pages}</div>'
        f'<p class="rat">{highlight(item.get("reviewer_rationale") or "(no rationale found)", quotes)}</p>'
        f'{matches}</div></div></article>')


def _cards(f: dict) -> str:
    key = {"Agreement (covered)", "Majority baseline", "Cohen's kappa", "Overturn recall"}
    return '<div class="cards">' + "".join(
        f'<div class="card{" key" if k in key else ""}"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>'
        f'<div class="h">{_e(h)}</div></div>' for k, v, h in headline(f)) + "</div>"


def _rates_chart(f: dict, title: str) -> str:
    o, r = f["overturned"], f["reasons"]
    rows = [
        {"label": "Coverage", "value": f["coverage"]},
        {"label": "Agreement (covered)", "value": f["agreement"], "ci": f["agreement_ci95"],
         "baseline": (f["baseline"] or {}).get("agreement")},
        {"label": "Overturn recall", "value": o["recall"], "ci": o["recall_ci95"], "note": f"{o['found']}/{o['actual']}"},
        {"label": "Overturn precision", "value": o["precision"], "note": f"{o['found']}/{o['predicted']}"},
        {"label": "Reason agreement", "value": r["agreement"], "ci": r["agreement_ci95"],
         "note": f"{r['matched']}/{r['eligible']}"},
    ]
    return charts.rate_bars(rows, title=title)


def _group_chart(rows: list[tuple[str, dict]], title: str) -> str:
    data = [{"label": g, "value": gf["agreement"], "ci": gf["agreement_ci95"],
             "baseline": (gf["baseline"] or {}).get("agreement"), "note": f"n={gf['compared_covered']}"}
            for g, gf in rows if gf["compared_covered"]]
    if not data:
        return '<p class="small">No covered item with a known outcome in any group.</p>'
    return charts.rate_bars(data[:TOP_GROUPS], width=640, label_width=240, title=title)


def _group_table(rows: list[tuple[str, dict]]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in ["group"] + GROUP_COLUMNS)
    body = "".join("<tr>" + f'<td class="t">{_e(g)}</td>' + "".join(f"<td>{_e(c)}</td>" for c in group_cells(gf))
                   + "</tr>" for g, gf in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(out: Path, summary: dict, listing) -> None:
    letters, errors = summary["letters"], summary["errors"]
    modes = summary["modes"]
    with open(out / "report.html", "w", encoding="utf-8") as h:
        w = h.write
        w('<!doctype html><html lang="en"><head><meta charset="utf-8">'
          '<meta name="viewport" content="width=device-width, initial-scale=1">'
          f"<title>MTUS engine audit</title><style>{CSS}{CSS_SYNTHETIC}</style></head><body><main>")
        w("<h1>MTUS engine audit</h1>")
        if summary.get("synthetic_items"):
            w(f'<p class="synthetic"><strong>SYNTHETIC:</strong> {summary["synthetic_items"]} of these items come '
              "from generated letters (engine.synthetic), not real IMR determinations. Do not report them as "
              "real-letter figures.</p>")
        w(f'<p class="sub">{letters["total"]} letters ({letters["ok"]} read in full, {letters["partial"]} in part, '
          f'{letters["errored"]} with errors only) \u00b7 items: {_e(_items_by_mode(summary))}'
          f' \u00b7 mtus-engine {_e(summary["engine"]["version"])} \u00b7 rule packs: '
          f'{_e(", ".join(summary["settings"].get("rule_packs", [])))}</p>')
        nav = [("figures-" + m, f"Figures ({m})") for m in modes] + [("groups-" + m, f"By group ({m})") for m in modes]
        nav += [("disagreements-" + m, f"Disagreements ({m}: {len(listing.disagreements.get(m, []))})") for m in modes]
        nav += [("no-rule", "No-rule items"), ("errors", f"Errors ({errors['total']})")]
        w("<nav>" + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in nav) + "</nav>")
        w('<div class="note">Agreement is computed on <b>covered</b> items (some rule applies) with a known reviewer '
          'outcome, and is always shown beside the <b>majority baseline</b>: most IMR items are upheld, so always '
          'answering "Upheld" already agrees often. Kappa and overturn recall say whether the engine does better than '
          'that. Items no rule applies to are counted and listed, never guessed. Bars show the value, whiskers its '
          '95% interval, the black tick the majority baseline. Full guide: docs/audit.md.</div>')
        if len(modes) > 1:
            rows = [{"label": f"{m} mode", "value": summary["results"][m]["overall"]["agreement"],
                     "ci": summary["results"][m]["overall"]["agreement_ci95"],
                     "baseline": (summary["results"][m]["overall"]["baseline"] or {}).get("agreement")} for m in modes]
            w("<h2>Agreement by mode</h2><div class=charts><figure>"
              + charts.rate_bars(rows, title="Agreement on covered items by mode, with the majority baseline")
              + "<figcaption>Summary mode is the honest, blind prediction; full mode also reads the findings the "
                "reviewer states, so it checks whether the reviewer's own findings and the rules agree.</figcaption>"
                "</figure></div>")
        for mode in modes:
            f = summary["results"][mode]["overall"]
            w(f'<h2 id="figures-{mode}">Figures: {_e(MODE_TITLE.get(mode, mode))}</h2>')
            w(_cards(f))
            parts = [("agree", f["agreeing"], charts.AGREE),
                     ("disagree", f["compared_covered"] - f["agreeing"], charts.DISAGREE),
                     ("covered, reviewer outcome unknown", f["covered"] - f["compared_covered"], charts.NOT_COMPARED),
                     ("no rule", f["no_rule"], charts.NO_RULE)]
            parts = [p for p in parts if p[1] > 0] or [("no items", 0, charts.NOT_COMPARED)]
            w('<div class="charts">')
            w("<figure>" + _rates_chart(f, f"Rates, {mode} mode")
              + "<figcaption>Bars: the rate; whiskers: 95% Wilson interval; black tick: majority baseline.</figcaption></figure>")
            w("<figure>" + charts.confusion(f["confusion"], title=f"Confusion matrix, {mode} mode")
              + "<figcaption>Green cells agree, orange disagree, grey: no rule applies (not a prediction).</figcaption></figure>")
            w("<figure>" + charts.stacked(parts, title=f"All items, {mode} mode")
              + "<figcaption>Every item: agreeing and disagreeing covered items, and items with no rule.</figcaption></figure>")
            w("</div>")
        for mode in modes:
            res = summary["results"][mode]
            w(f'<h2 id="groups-{mode}">By group ({_e(mode)} mode)</h2>')
            for key, title in (("by_drug_class", "By drug class (or kind of item)"),
                               ("by_section", "By guideline section cited by the reviewer"),
                               ("by_guideline", "By guideline cited by the reviewer")):
                rows = _groups(res, key)
                w(f"<h3>{_e(title)}</h3>")
                if key != "by_guideline":
                    more = f" (the {TOP_GROUPS} largest)" if len(rows) > TOP_GROUPS else ""
                    w('<div class="charts"><figure>' + _group_chart(rows, f"Agreement {title.lower()}")
                      + f"<figcaption>Agreement on covered items per group{more}, with the group's majority baseline. "
                        "An item citing several sections counts in each.</figcaption></figure></div>")
                w(_group_table(rows))
        for mode in modes:
            entries = listing.disagreements.get(mode, [])
            w(f'<h2 id="disagreements-{mode}">Disagreements, {_e(mode)} mode ({len(entries)})</h2>')
            w('<p class="small">Missed overturns first, then overturns the reviewer did not make; within each, by '
              'letter. Left: what the engine read and why it decided; right: the reviewer. '
              '<mark>Highlighted</mark>: the evidence quotes the engine read and the words of the rationale that '
              'match a failing criterion.</p>')
            for index, item in enumerate(_listed(out, entries)):
                w(_disagreement_html(item, f"d-{mode}-{index + 1}"))
        w('<h2 id="no-rule">Items no rule applies to</h2>')
        w('<p class="small">Outside the engine\'s coverage: reported, never counted as a prediction.</p>')
        for mode in modes:
            entries = listing.no_rule.get(mode, [])
            w(f"<details><summary>{_e(mode)} mode: {len(entries)} items</summary>")
            if entries:
                w("<table><thead><tr><th>letter</th><th>request</th><th class=t>item</th><th class=t>kind</th>"
                  "<th class=t>reviewer</th></tr></thead><tbody>")
                for i in _listed(out, entries):
                    w(f'<tr><td>{_e(i["letter"])}</td><td>{_e(i["request_id"])}</td><td class=t>{_e(i["item"])}</td>'
                      f'<td class=t>{_e(i.get("kind") or "")}</td><td class=t>{_e(i.get("actual") or "")}</td></tr>')
                w("</tbody></table>")
            w("</details>")
        w(f'<h2 id="errors">Errors ({errors["total"]})</h2>')
        if listing.errors:
            w("<table><thead><tr><th>letter</th><th class=t>mode</th><th class=t>code</th><th class=t>message</th>"
              "</tr></thead><tbody>")
            for e in _listed(out, listing.errors, ERRORS):
                w(f'<tr><td>{_e(e["letter"])}</td><td class=t>{_e(e.get("mode") or "")}</td>'
                  f'<td class=t>{_e(e["code"])}</td><td class=t>{_e(e["message"])}</td></tr>')
            w("</tbody></table>")
        else:
            w('<p class="small">None: every letter was read.</p>')
        w("</main></body></html>\n")


def write_reports(out, summary: dict, listing) -> None:
    """summary.json, items.csv, report.md and report.html in `out`."""
    out = Path(out)
    (out / "summary.json").write_text(to_json(summary), encoding="utf-8")
    write_csv(out)
    write_markdown(out, summary, listing)
    write_html(out, summary, listing)
