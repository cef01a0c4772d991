"""Performance benchmark of mtus-engine (a script, not a test).

    python benchmarks/bench_engine.py            # full run (about a minute)
    python benchmarks/bench_engine.py --quick    # shorter timings, fewer repetitions

Prints four figures and a table of figure / value / target / met?:

1. Loading and compiling the shipped rule packs (`engine.load_rules()`) in a fresh
   process: `python -c` is spawned several times and the median is taken, so import
   caches of this process do not hide the cost. `import engine` is reported apart.
2. Single DSL expressions per second on one core: about ten realistic expressions are
   compiled once with `engine.compile_expression`, a few hundred varied cases are
   generated with a seeded random, their environments prepared once, then
   `expr.evaluate_env(env)` is timed over every (expression, env) pair. The same
   conditions written by hand in plain Python (dict.get, None checks, the same
   three-valued results with None for unknown) are timed the same way; both are
   checked to agree on every pair before timing.
3. Whole requests per second with complete traces, over the example cases plus generated
   opioid / muscle-relaxant / carisoprodol / non-drug requests, cases prepared once:
   deciding into the compact record (`engine.evaluator.decide_request`: every rule's status,
   every criterion's value and the facts it read, by reference); deciding and rendering the
   determination dict (`evaluate_request`); and that plus the JSON text (`report.to_json`,
   indented, which Python's json module writes without its C encoder). For scale, the average
   size of a determination (as JSON) and the rate at which `pickle.loads`, in C, merely
   rebuilds the same determination dicts from bytes.
4. Case preparation per case: validation (schema and vocabularies, `validate_case`), the view
   rules read (`Case`), and every request's environment, over the same cases' JSON documents
   (each prepared afresh every time).

Timing: time.perf_counter, a warm-up pass, then the median of several repetitions of
at least a second each (a quarter second with --quick). The cyclic GC is disabled while
single expressions are timed (as timeit does) and left enabled for whole requests.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.evaluator import decide_request, evaluate_request  # noqa: E402
from engine.report import to_json  # noqa: E402
from engine.values import UNKNOWN  # noqa: E402

SEED = 20240601

TARGET_LOAD_MS = 300.0
TARGET_EVALS = 500_000.0
TARGET_RATIO = 3.0
TARGET_REQUESTS = 20_000.0
TARGET_PREPARE_US = 8.0


# ---------------------------------------------------------------------------------------
# 1. load + compile in a fresh process
# ---------------------------------------------------------------------------------------
_CHILD = (
    "import time, json\n"
    "c0, t0 = time.process_time(), time.perf_counter()\n"
    "import engine\n"
    "c1, t1 = time.process_time(), time.perf_counter()\n"
    "rules = engine.load_rules()\n"
    "c2, t2 = time.process_time(), time.perf_counter()\n"
    "print(json.dumps([t1 - t0, t2 - t1, c1 - c0, c2 - c1, len(rules.packs), len(rules.rules)]))\n"
)


def bench_load(runs: int) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # Byte-code is cached outside the tree (the warm-up run fills it), as an installed package would have it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mtus-bench-pycache")
    imports, loads, walls, import_cpu, load_cpu = [], [], [], [], []
    packs = rules = None
    for index in range(runs + 1):          # run 0 is a warm-up (writes .pyc files, fills the OS cache)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - start
        t_import, t_load, c_import, c_load, packs, rules = json.loads(out.stdout.strip().splitlines()[-1])
        if index:
            imports.append(t_import * 1e3)
            loads.append(t_load * 1e3)
            import_cpu.append(c_import * 1e3)
            load_cpu.append(c_load * 1e3)
            walls.append(wall * 1e3)
    return {"import_ms": statistics.median(imports), "load_ms": statistics.median(loads),
            "wall_ms": statistics.median(walls), "load_min": min(loads), "load_max": max(loads),
            "import_min": min(imports), "import_max": max(imports), "runs": runs, "packs": packs, "rules": rules,
            "import_cpu_ms": statistics.median(import_cpu), "load_cpu_ms": statistics.median(load_cpu)}


# ---------------------------------------------------------------------------------------
# generated cases
# ---------------------------------------------------------------------------------------
_EVIDENCE_QUOTES = ["as documented in the progress note", "per the treating physician", "noted on examination",
                    "the reviewer states", "the utilization review notes"]
_FINDINGS = ["pain_relief", "functional_improvement", "return_to_work", "side_effects_assessed",
             "aberrant_behavior", "uds_consistent", "first_line_failed", "functional_goals", "acute_exacerbation",
             "myofascial_pain", "spasticity", "neuropathic_pain", "exceptional_factors", "weaning_attempted"]
_DIAGNOSES = [("chronic low back pain", ["low_back_pain"]), ("cervical radiculopathy", ["radiculopathy", "neck_pain"]),
              ("acute exacerbation of low back pain with spasm", ["acute_exacerbation", "low_back_pain"]),
              ("myofascial pain syndrome", ["myofascial"]), ("lumbar strain", ["sprain_strain"]),
              ("spasticity after spinal cord injury", ["spasticity"]), ("lumbar disc herniation", ["disc_disorder"]),
              ("potential left shoulder problems", [])]
_MEDICATIONS = [("Norco", "hydrocodone/acetaminophen", "opioid"), ("OxyContin", "oxycodone", "opioid"),
                ("Ultram", "tramadol", "opioid"), ("Motrin", "ibuprofen", "nsaid"), ("Naprosyn", "naproxen", "nsaid"),
                ("Flexeril", "cyclobenzaprine", "muscle_relaxant"), ("Robaxin", "methocarbamol", "muscle_relaxant"),
                ("Prilosec", "omeprazole", "ppi"), ("Neurontin", "gabapentin", "anticonvulsant")]
_OPIOIDS = [("Norco 10/325mg", "hydrocodone/acetaminophen", 10), ("Oxycodone 30mg", "oxycodone", 30),
            ("Percocet 10/325mg", "oxycodone/acetaminophen", 10), ("Tramadol 50mg", "tramadol", 50),
            ("Morphine ER 60mg", "morphine", 60)]
_RELAXANTS = [("Methocarbamol 750mg", "methocarbamol"), ("Flexeril 10mg", "cyclobenzaprine"),
              ("Zanaflex 4mg", "tizanidine"), ("Baclofen 10mg", "baclofen")]
_NON_DRUG = [("physical_therapy", "Physical therapy x 12 visits"), ("imaging", "MRI of the lumbar spine"),
             ("acupuncture", "Acupuncture x 6"), ("consultation", "Pain management consultation")]


def _date(rng, first_year, last_year) -> str:
    day = _dt.date(first_year, 1, 1) + _dt.timedelta(days=rng.randrange((last_year - first_year + 1) * 365))
    return day.isoformat()


def _fact(rng, value):
    """A fact bare, or wrapped with evidence."""
    if rng.random() < 0.35:
        return {"value": value, "evidence": {"section": "rationale", "quote": rng.choice(_EVIDENCE_QUOTES)}}
    return value


def _maybe(rng, p=0.7) -> bool:
    return rng.random() < p


def _finding(rng):
    entry = {"status": rng.choice(["present", "present", "absent", "not_documented"])}
    if _maybe(rng, 0.4):
        entry["evidence"] = {"section": "rationale", "quote": rng.choice(_EVIDENCE_QUOTES)}
    return entry


def _request(rng, kind: str, index: int) -> dict:
    request = {"id": f"r{index + 1}"}
    if kind == "opioid":
        text, generic, strength = rng.choice(_OPIOIDS)
        request.update(text=f"{text} #{rng.choice([60, 90, 120, 180])}", kind="drug",
                       drug={"name": text.split()[0], "generic": generic, "drug_class": "opioid"})
        if _maybe(rng, 0.8):
            request["drug"]["strength_mg"] = strength
    elif kind in ("relaxant", "carisoprodol"):
        text, generic = ("Soma 350mg", "carisoprodol") if kind == "carisoprodol" else rng.choice(_RELAXANTS)
        request.update(text=f"{text} #{rng.choice([30, 60, 90])}", kind="drug",
                       drug={"name": text.split()[0], "generic": generic, "drug_class": "muscle_relaxant"})
    else:
        item_kind, text = rng.choice(_NON_DRUG)
        request.update(text=text, kind=item_kind)
        if _maybe(rng, 0.5):
            request["visits"] = rng.choice([6, 8, 12])
    if request.get("kind") == "drug":
        if _maybe(rng):
            request["quantity"] = rng.choice([21, 30, 60, 90, 120, 180])
        if _maybe(rng, 0.5):
            request["refills"] = rng.choice([0, 0, 1, 3])
        if _maybe(rng, 0.5):
            request["days_supply"] = rng.choice([7, 14, 30])
        if _maybe(rng, 0.5):
            request["doses_per_day"] = rng.choice([2, 3, 4, 6])
        if _maybe(rng, 0.6):
            request["prior_use_weeks"] = _fact(rng, rng.choice([0, 1, 2, 3, 4, 8, 26, 52]))
    if _maybe(rng, 0.8):
        request["date_of_service"] = _date(rng, 2014, 2019)
    if _maybe(rng, 0.3):
        request["findings"] = {c: _finding(rng) for c in rng.sample(_FINDINGS, rng.randint(1, 3))}
    return request


def generate_case(rng, number: int, kinds: list[str]) -> dict:
    case = {"schema_version": 1, "case_id": f"bench-{number:04d}", "source": {"kind": "synthetic"}}
    if _maybe(rng, 0.6):
        case["letter"] = {"ur_denial_date": _fact(rng, _date(rng, 2014, 2019))}
    if _maybe(rng, 0.8):
        patient = {}
        if _maybe(rng):
            patient["age"] = _fact(rng, rng.randint(22, 78))
        if _maybe(rng):
            patient["sex"] = rng.choice(["male", "female"])
        case["patient"] = patient
    if _maybe(rng, 0.8):
        injury = {"body_parts": rng.sample(["lumbar_spine", "cervical_spine", "shoulder", "knee"], rng.randint(0, 2))}
        if _maybe(rng):
            injury["date"] = _fact(rng, _date(rng, 2005, 2014))
        case["injury"] = injury
    if _maybe(rng, 0.75):
        case["diagnoses"] = []
        for text, tags in rng.sample(_DIAGNOSES, rng.randint(0, 3)):
            diagnosis = {"text": text}
            if _maybe(rng, 0.85):
                diagnosis["tags"] = list(tags)
            case["diagnoses"].append(diagnosis)
    if _maybe(rng, 0.75):
        case["medications"] = []
        for name, generic, drug_class in rng.sample(_MEDICATIONS, rng.randint(0, 4)):
            medication = {"name": name, "generic": generic}
            if _maybe(rng, 0.9):
                medication["drug_class"] = drug_class
            if _maybe(rng, 0.8):
                medication["status"] = rng.choice(["current", "current", "past"])
            case["medications"].append(medication)
    if _maybe(rng, 0.8):
        pain = {}
        for key in ("current", "with_meds", "without_meds"):
            if _maybe(rng, 0.65):
                pain[key] = _fact(rng, rng.choice([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        case["pain"] = pain
    if _maybe(rng, 0.85):
        case["findings"] = {c: _finding(rng) for c in rng.sample(_FINDINGS, rng.randint(0, 8))}
    case["requests"] = [_request(rng, kind, i) for i, kind in enumerate(kinds)]
    return case


def generated_documents(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        n = rng.choice([1, 1, 1, 2, 3])
        kinds = [rng.choice(["opioid", "opioid", "opioid", "relaxant", "relaxant", "carisoprodol", "non_drug"])
                 for _ in range(n)]
        documents.append(generate_case(rng, number, kinds))
    return documents


def generated_cases(count: int, seed: int) -> list:
    return [engine.case_from_dict(document) for document in generated_documents(count, seed)]


# ---------------------------------------------------------------------------------------
# 2. single expressions: the DSL and the same conditions by hand
# ---------------------------------------------------------------------------------------
EXPRESSIONS = [
    'request.drug.drug_class == "opioid"',
    'request.prior_use_weeks <= 3 weeks',
    'request.refills > 0 or request.days_supply > 3 weeks or request.prior_use_weeks > 3 weeks',
    'findings.pain_relief or pain.with_meds < pain.without_meds',
    'not findings.aberrant_behavior or (findings.uds_consistent and not known(findings.aberrant_behavior))',
    'any(m in medications: m.status != "past" and m.drug_class in ["opioid", "nsaid", "muscle_relaxant"]'
    ' and m.generic != "cyclobenzaprine")',
    'findings.acute_exacerbation or any(d in diagnoses: "acute_exacerbation" in d.tags)',
    'count(m in medications: m.drug_class == "opioid") >= 2',
    'pct_drop(pain.without_meds, pain.with_meds) >= 30',
    'request.date_of_service - injury.date > 2 years',
    'patient.age >= 65 years',
    'daily_med(request) > 120 mg MED',
]

_STATUS = {"present": True, "absent": False, "not_documented": None}
_PAIN_CLASSES = frozenset(["opioid", "nsaid", "muscle_relaxant"])
_fromiso = _dt.date.fromisoformat


def h_opioid(env):
    drug = env["request"].get("drug")
    if drug is None:
        return None
    c = drug.get("drug_class")
    return None if c is None else c == "opioid"


def h_short_course(env):
    w = env["request"].get("prior_use_weeks")
    return None if w is None else w * 7 <= 21


def h_beyond_short_course(env):
    r = env["request"]
    result = False
    v = r.get("refills")
    if v is None:
        result = None
    elif v > 0:
        return True
    v = r.get("days_supply")
    if v is None:
        result = None
    elif v > 21:
        return True
    v = r.get("prior_use_weeks")
    if v is None:
        result = None
    elif v * 7 > 21:
        return True
    return result


def h_analgesia(env):
    result = False
    e = env["findings"].get("pain_relief")
    if e is None:
        result = None
    else:
        s = _STATUS[e["status"]]
        if s is True:
            return True
        if s is None:
            result = None
    pain = env.get("pain")
    if pain is None:
        return None
    w = pain.get("with_meds")
    if w is None:
        return None
    wo = pain.get("without_meds")
    if wo is None:
        return None
    return True if w < wo else result


def h_aberrant(env):
    findings = env["findings"]
    e = findings.get("aberrant_behavior")
    ab = None if e is None else _STATUS[e["status"]]
    first = None if ab is None else not ab
    if first is True:
        return True
    e = findings.get("uds_consistent")
    uds = None if e is None else _STATUS[e["status"]]
    if uds is False or ab is not None:
        second = False
    else:
        second = None if uds is None else True
    if second is True:
        return True
    return None if first is None or second is None else False


def h_other_agents(env):
    meds = env.get("medications")
    if meds is None:
        return None
    unknown = False
    for m in meds:
        res = True
        s = m.get("status")
        if s is None:
            res = None
        elif s == "past":
            continue
        c = m.get("drug_class")
        if c is None:
            res = None
        elif c not in _PAIN_CLASSES:
            continue
        g = m.get("generic")
        if g is None:
            res = None
        elif g == "cyclobenzaprine":
            continue
        if res is None:
            unknown = True
        else:
            return True
    return None if unknown else False


def h_exacerbation(env):
    e = env["findings"].get("acute_exacerbation")
    if e is None:
        first = None
    else:
        first = _STATUS[e["status"]]
        if first is True:
            return True
    diagnoses = env.get("diagnoses")
    if diagnoses is None:
        return None
    unknown = False
    for d in diagnoses:
        tags = d.get("tags")
        if tags is None:
            unknown = True
        elif "acute_exacerbation" in tags:
            return True
    return None if unknown or first is None else False


def h_two_opioids(env):
    meds = env.get("medications")
    if meds is None:
        return None
    count = 0
    for m in meds:
        c = m.get("drug_class")
        if c is None:
            return None         # count() is unknown as soon as one element is unknown
        if c == "opioid":
            count += 1
    return count >= 2


def h_pct_drop(env):
    pain = env.get("pain")
    if pain is None:
        return None
    before = pain.get("without_meds")
    after = pain.get("with_meds")
    if before is None or after is None or before == 0:
        return None
    return 100.0 * (before - after) / before >= 30


def h_since_injury(env):
    ds = env["request"].get("date_of_service")
    if ds is None:
        return None
    injury = env.get("injury")
    if injury is None:
        return None
    di = injury.get("date")
    if di is None:
        return None
    return (_fromiso(ds) - _fromiso(di)).days > 730


def h_age(env):
    patient = env.get("patient")
    if patient is None:
        return None
    age = patient.get("age")
    return None if age is None else age >= 65


def make_h_daily_med(vocab):
    med_factor = getattr(vocab, "med_factor", None)     # (generic, daily mg) -> factor, when the vocabulary has it
    factors = vocab.med_factors

    def h_daily_med(env):
        r = env["request"]
        drug = r.get("drug")
        if drug is None:
            return None
        strength = drug.get("strength_mg")
        per_day = r.get("doses_per_day")
        if per_day is None:
            quantity, days = r.get("quantity"), r.get("days_supply")
            per_day = quantity / days if quantity is not None and days else None
        if strength is None or per_day is None:
            return None
        daily = strength * per_day
        factor = med_factor(drug.get("generic"), daily) if med_factor else factors.get(drug.get("generic"))
        return None if factor is None else daily * factor > 120
    return h_daily_med


def hand_written(rules) -> list:
    return [h_opioid, h_short_course, h_beyond_short_course, h_analgesia, h_aberrant, h_other_agents,
            h_exacerbation, h_two_opioids, h_pct_drop, h_since_injury, h_age, make_h_daily_med(rules.vocab)]


def _pairs_pass(pairs):
    def one_pass():
        for f, x in pairs:
            f(x)
    return one_pass


def _calibrate(one_pass, min_time: float) -> int:
    """The number of passes that takes at least `min_time` seconds (after a warm-up pass)."""
    one_pass()
    passes = 1
    while True:
        start = time.perf_counter()
        for _ in range(passes):
            one_pass()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return passes
        passes = max(passes * 2, int(passes * min_time * 1.2 / max(elapsed, 1e-9)))


def _timed(one_pass, passes: int, per_pass: int) -> tuple[float, float]:
    """(operations per second by perf_counter, share of the wall time this process had the CPU).

    On a busy machine the CPU share falls below 1 and the wall-clock rate with it; the sections
    then also print the rate per CPU second (rate / share). Contention for a shared core
    (SMT siblings) slows both and is not visible in the share."""
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(passes):
        one_pass()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return passes * per_pass / elapsed, cpu / elapsed


def _rates(runs: dict, min_time: float, reps: int) -> dict:
    """Rates of several {name: (one_pass, per_pass)}, their repetitions interleaved (a, b, a, b, ...)
    so that a change of machine load hits all alike. name -> {"median", "rates", "cpu"}."""
    passes = {name: _calibrate(one_pass, min_time) for name, (one_pass, _) in runs.items()}
    out = {name: {"rates": [], "cpu": []} for name in runs}
    for _ in range(reps):
        for name, (one_pass, per_pass) in runs.items():
            rate, cpu = _timed(one_pass, passes[name], per_pass)
            out[name]["rates"].append(rate)
            out[name]["cpu"].append(cpu)
    for result in out.values():
        result["median"] = statistics.median(result["rates"])
        result["cpu_share"] = min(result["cpu"])
        result["cpu_rate"] = statistics.median(r / c for r, c in zip(result["rates"], result["cpu"]))
    return out


def _ratio(numerator: dict, denominator: dict) -> float:
    """Median over the repetitions of the ratio of two interleaved rates."""
    return statistics.median(a / b for a, b in zip(numerator["rates"], denominator["rates"]))


def _show(value) -> str:
    return "unknown" if value is None or value is UNKNOWN else ("true" if value is True else "false")


def bench_expressions(rules, envs, min_time, reps) -> dict:
    compiled = [engine.compile_expression(text, rules.vocab) for text in EXPRESSIONS]
    hand = hand_written(rules)
    tallies = []
    mismatches = []
    for text, expr, h in zip(EXPRESSIONS, compiled, hand):
        tally = {"true": 0, "false": 0, "unknown": 0}
        for n, env in enumerate(envs):
            a, b = _show(expr.evaluate_env(env)), _show(h(env))
            tally[a] += 1
            if a != b:
                mismatches.append((text, n, a, b))
        tallies.append((text, tally))
    if mismatches:
        for text, n, a, b in mismatches[:10]:
            print(f"MISMATCH env {n}: {text}: engine {a}, hand-written {b}")
        raise SystemExit(f"{len(mismatches)} disagreements between the DSL and the hand-written conditions")
    pairs_api = [(e.evaluate_env, env) for env in envs for e in compiled]
    pairs_raw = [(e.function, env) for env in envs for e in compiled]
    pairs_hand = [(h, env) for env in envs for h in hand]
    gc.collect()
    gc.disable()
    try:
        main = _rates({"api": (_pairs_pass(pairs_api), len(pairs_api)),
                       "hand": (_pairs_pass(pairs_hand), len(pairs_hand)),
                       "raw": (_pairs_pass(pairs_raw), len(pairs_raw))}, min_time, reps)
        per_expr = []
        for text, expr, h in zip(EXPRESSIONS, compiled, hand):
            one = _rates({"api": (_pairs_pass([(expr.evaluate_env, env) for env in envs]), len(envs)),
                          "hand": (_pairs_pass([(h, env) for env in envs]), len(envs))},
                         min_time / 4, max(3, reps // 2))
            per_expr.append((text, one["api"]["median"], one["hand"]["median"], _ratio(one["hand"], one["api"])))
    finally:
        gc.enable()
    return {"api": main["api"]["median"], "raw": main["raw"]["median"], "hand": main["hand"]["median"],
            "api_cpu": main["api"]["cpu_rate"], "hand_cpu": main["hand"]["cpu_rate"],
            "ratio": _ratio(main["hand"], main["api"]), "cpu_share": min(r["cpu_share"] for r in main.values()),
            "pairs": len(pairs_api), "tallies": tallies, "per_expr": per_expr}


# ---------------------------------------------------------------------------------------
# 3. whole requests with traces
# ---------------------------------------------------------------------------------------
def bench_requests(rules, cases, min_time, reps) -> dict:
    """Requests per second deciding into the compact record, and deciding plus rendering the
    JSON; for scale, the rate at which C code (pickle) merely rebuilds the determination dicts."""
    items = [(case, i) for case in cases for i in range(len(case.requests))]
    outcomes = {}
    outputs = []
    for case, i in items:
        record = decide_request(rules, case, i)
        output = evaluate_request(rules, case, i)
        assert record.outcome == output["outcome"]
        outputs.append(output)
        outcomes[output["outcome"]] = outcomes.get(output["outcome"], 0) + 1
    pickled = [pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL) for o in outputs]
    size = statistics.mean(len(to_json(o)) for o in outputs)

    def record_pass():
        for case, i in items:
            decide_request(rules, case, i)

    def render_pass():
        for case, i in items:
            evaluate_request(rules, case, i)

    def text_pass():
        for case, i in items:
            to_json(evaluate_request(rules, case, i))

    def rebuild_pass():
        for data in pickled:
            pickle.loads(data)
    rates = _rates({"record": (record_pass, len(items)), "render": (render_pass, len(items)),
                    "text": (text_pass, len(items)), "rebuild": (rebuild_pass, len(items))}, min_time, reps)
    record, render = rates["record"], rates["render"]
    return {"rate": record["median"], "cpu_share": min(record["cpu_share"], render["cpu_share"]),
            "cpu_rate": record["cpu_rate"], "render_rate": render["median"], "render_cpu_rate": render["cpu_rate"],
            "text_rate": rates["text"]["median"],
            "rebuild_rate": rates["rebuild"]["median"], "json_bytes": size, "requests": len(items),
            "outcomes": outcomes}


# ---------------------------------------------------------------------------------------
# 4. case preparation
# ---------------------------------------------------------------------------------------
def bench_prepare(documents, min_time, reps) -> dict:
    """Microseconds per case: validate, build the view, and prepare every request's environment."""
    from engine.case import Case, validate_case

    def validate_pass():
        for document in documents:
            validate_case(document)

    def build_pass():
        for document in documents:
            Case(document)

    def prepare_pass():
        for document in documents:
            case = engine.case_from_dict(document)
            for index in range(len(case.requests)):
                case.environment(index)
    rates = _rates({"validate": (validate_pass, len(documents)), "build": (build_pass, len(documents)),
                    "prepare": (prepare_pass, len(documents))}, min_time, reps)
    return {name: 1e6 / rate["median"] for name, rate in rates.items()} | {
        "cpu_share": min(r["cpu_share"] for r in rates.values()),
        "prepare_cpu_us": 1e6 / rates["prepare"]["cpu_rate"], "cases": len(documents),
        "bytes": statistics.mean(len(json.dumps(d)) for d in documents)}


# ---------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings and fewer repetitions")
    args = parser.parse_args(argv)
    quick = args.quick
    min_time = 0.25 if quick else 1.0
    reps = 3 if quick else 5
    load_runs = 3 if quick else 7
    n_cases = 120 if quick else 300

    print(f"mtus-engine {engine.__version__} benchmark  python {sys.version.split()[0]}  "
          f"{'quick' if quick else 'full'} mode  seed {SEED}")
    print(f"timing: median of {reps} repetitions of >= {min_time:g} s each, after a warm-up pass")
    print()

    # 1
    load = bench_load(load_runs)
    print(f"[1] load_rules() in a fresh process, median of {load['runs']} runs (after 1 warm-up run)")
    print(f"    packs {load['packs']}, rules {load['rules']}")
    print(f"    import engine      {load['import_ms']:8.1f} ms   (min {load['import_min']:.1f}, max {load['import_max']:.1f}; "
          f"CPU time {load['import_cpu_ms']:.1f} ms)")
    print(f"    load + compile     {load['load_ms']:8.1f} ms   (min {load['load_min']:.1f}, max {load['load_max']:.1f}; "
          f"CPU time {load['load_cpu_ms']:.1f} ms)")
    print(f"    whole process      {load['wall_ms']:8.1f} ms   (interpreter start-up + import + load + exit)")
    print("    (byte-code cached in the temp folder, not the tree; timed inside the child with perf_counter)")
    print()

    rules = engine.load_rules()
    start = time.perf_counter()
    documents = generated_documents(n_cases, SEED)
    cases = [engine.case_from_dict(document) for document in documents]
    setup = time.perf_counter() - start

    # 2
    envs = [case.environment(0) for case in cases]
    expr = bench_expressions(rules, envs, min_time, reps)
    ratio = expr["ratio"]
    print(f"[2] single expressions: {len(EXPRESSIONS)} expressions x {len(envs)} environments = "
          f"{expr['pairs']} pairs per pass (cases generated and validated in {setup:.2f} s)")
    print("    results over the environments (DSL and hand-written agree on every pair):")
    for text, tally in expr["tallies"]:
        print(f"      {tally['true']:4d} true {tally['false']:4d} false {tally['unknown']:4d} unknown   {text[:70]}")
    print(f"    expr.evaluate_env(env)      {expr['api']:12,.0f} evals/s   ({expr['api_cpu']:,.0f} per CPU second)")
    print(f"    expr.function(env) (raw)    {expr['raw']:12,.0f} evals/s")
    print(f"    hand-written Python         {expr['hand']:12,.0f} evals/s   ({expr['hand_cpu']:,.0f} per CPU second)")
    print(f"    hand-written / DSL          {ratio:12.2f} x   (median of the per-repetition ratios)")
    print(f"    lowest CPU share of a repetition: {expr['cpu_share']:.2f} (below ~0.95: the machine was busy)")
    print("    per expression (evals/s): DSL, hand-written, ratio")
    for text, e_rate, h_rate, one_ratio in expr["per_expr"]:
        print(f"      {e_rate:11,.0f} {h_rate:11,.0f} {one_ratio:6.2f}x   {text[:60]}")
    print()

    # 3
    example_paths = sorted((ROOT / "examples" / "cases").glob("*.json"))
    examples = [engine.load_case(p) for p in example_paths]
    mix = examples + cases
    req = bench_requests(rules, mix, min_time, reps)
    print(f"[3] whole requests with complete traces: {req['requests']} requests per pass "
          f"({len(examples)} example cases + {len(cases)} generated cases)")
    print("    outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(req["outcomes"].items())))
    print(f"    decide_request (compact record)      {req['rate']:10,.0f} requests/s "
          f"({1e6 / req['rate']:.1f} us per request; {req['cpu_rate']:,.0f} per CPU second)")
    print(f"    evaluate_request (record + dict)     {req['render_rate']:10,.0f} requests/s "
          f"({1e6 / req['render_rate']:.1f} us per request; {req['render_cpu_rate']:,.0f} per CPU second)")
    print(f"    ... + to_json (the JSON text)        {req['text_rate']:10,.0f} requests/s "
          f"({1e6 / req['text_rate']:.1f} us per request)")
    print(f"    lowest CPU share of a repetition: {req['cpu_share']:.2f}")
    print(f"    for scale: a determination is {req['json_bytes']:,.0f} bytes of JSON on average; pickle.loads")
    print(f"    (C) rebuilds the same dicts at {req['rebuild_rate']:,.0f} per second "
          f"({1e6 / req['rebuild_rate']:.1f} us each)")
    print()

    # 4
    example_documents = [json.loads(p.read_text(encoding="utf-8")) for p in example_paths]
    prep = bench_prepare(example_documents + documents, min_time, reps)
    print(f"[4] case preparation: {prep['cases']} case documents ({prep['bytes']:,.0f} bytes of JSON on average), "
          "each prepared afresh")
    print(f"    validate_case (schema + vocabularies)      {prep['validate']:7.2f} us per case")
    print(f"    Case(document) (the view rules read)       {prep['build']:7.2f} us per case")
    print(f"    case_from_dict + every environment         {prep['prepare']:7.2f} us per case "
          f"({prep['prepare_cpu_us']:.2f} per CPU; lowest CPU share {prep['cpu_share']:.2f})")
    print()

    rows = [
        ("load + compile, fresh process (ms)", f"{load['load_ms']:.1f}", f"< {TARGET_LOAD_MS:.0f}",
         load["load_ms"] < TARGET_LOAD_MS),
        ("import engine, fresh process (ms)", f"{load['import_ms']:.1f}", "-", None),
        ("DSL evaluate_env, evals/s", f"{expr['api']:,.0f}", f">= {TARGET_EVALS:,.0f}", expr["api"] >= TARGET_EVALS),
        ("hand-written Python, evals/s", f"{expr['hand']:,.0f}", "-", None),
        ("hand-written / DSL", f"{ratio:.2f}x", f"<= {TARGET_RATIO:.1f}x", ratio <= TARGET_RATIO),
        ("requests, compact record, req/s", f"{req['rate']:,.0f}", f">= {TARGET_REQUESTS:,.0f}",
         req["rate"] >= TARGET_REQUESTS),
        ("requests, record + rendered dict, req/s", f"{req['render_rate']:,.0f}", "-", None),
        ("requests, + JSON text, req/s", f"{req['text_rate']:,.0f}", "-", None),
        ("case preparation, us per case", f"{prep['prepare']:.2f}", f"<= {TARGET_PREPARE_US:g}",
         prep["prepare"] <= TARGET_PREPARE_US),
    ]
    widths = [max(len(r[i]) for r in rows + [("figure", "value", "target")]) for i in range(3)]
    header = f"{'figure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  met?"
    print(header)
    print("-" * len(header))
    for name, value, target, met in rows:
        mark = "-" if met is None else ("yes" if met else "NO")
        print(f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {mark}")
    missed = [r for r in rows if r[3] is False]
    print()
    print("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
