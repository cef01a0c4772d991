"""The drug lexicon (rules/vocab/drugs.yaml) and its loader (engine/lexicon.py)."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from engine.lexicon import Drug, Lexicon, LexiconError, load_lexicon, name_key
from engine.paths import vocab_dir

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "letters"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return load_lexicon()


# --------------------------------------------------------------------------- the shipped data

REQUIRED_CLASSES = {"opioid", "muscle_relaxant", "nsaid", "ppi", "h2_blocker", "benzodiazepine", "sleep_aid",
                    "anticonvulsant", "antidepressant", "topical_analgesic", "acetaminophen", "laxative", "antiemetic",
                    "medical_food", "corticosteroid", "triptan", "stimulant", "other"}


def test_classes_cover_the_required_ids(lex):
    assert REQUIRED_CLASSES <= set(lex.classes)
    assert all(meaning for meaning in lex.classes.values())


def test_lexicon_size(lex):
    assert len(lex) >= 180
    assert lex.name_count >= 900
    assert len(lex.generics) == len(lex)


# (name as a letter writes it, generic, class)
COVERAGE = [
    ("Norco", "hydrocodone/acetaminophen", "opioid"), ("Vicodin", "hydrocodone/acetaminophen", "opioid"),
    ("hydrocodone/APAP", "hydrocodone/acetaminophen", "opioid"),
    ("Oxycodone", "oxycodone", "opioid"), ("OxyContin", "oxycodone", "opioid"), ("Roxicodone", "oxycodone", "opioid"),
    ("Percocet", "oxycodone/acetaminophen", "opioid"), ("oxycodone/APAP", "oxycodone/acetaminophen", "opioid"),
    ("Ultram", "tramadol", "opioid"), ("tramadol", "tramadol", "opioid"), ("Ultracet", "tramadol/acetaminophen", "opioid"),
    ("Nucynta", "tapentadol", "opioid"), ("MS Contin", "morphine", "opioid"), ("Dilaudid", "hydromorphone", "opioid"),
    ("oxymorphone", "oxymorphone", "opioid"), ("Duragesic", "fentanyl", "opioid"), ("methadone", "methadone", "opioid"),
    ("Butrans", "buprenorphine", "opioid"), ("Suboxone", "buprenorphine/naloxone", "opioid"),
    ("codeine", "codeine", "opioid"), ("Tylenol #3", "acetaminophen/codeine", "opioid"),
    ("Flexeril", "cyclobenzaprine", "muscle_relaxant"), ("Fexmid", "cyclobenzaprine", "muscle_relaxant"),
    ("Amrix", "cyclobenzaprine", "muscle_relaxant"), ("Soma", "carisoprodol", "muscle_relaxant"),
    ("Robaxin", "methocarbamol", "muscle_relaxant"), ("Zanaflex", "tizanidine", "muscle_relaxant"),
    ("baclofen", "baclofen", "muscle_relaxant"), ("Norflex", "orphenadrine", "muscle_relaxant"),
    ("Skelaxin", "metaxalone", "muscle_relaxant"), ("Parafon Forte", "chlorzoxazone", "muscle_relaxant"),
    ("Lorzone", "chlorzoxazone", "muscle_relaxant"), ("dantrolene", "dantrolene", "muscle_relaxant"),
    ("Motrin", "ibuprofen", "nsaid"), ("Naprosyn", "naproxen", "nsaid"), ("Anaprox DS", "naproxen", "nsaid"),
    ("Voltaren", "diclofenac", "nsaid"), ("Mobic", "meloxicam", "nsaid"), ("Celebrex", "celecoxib", "nsaid"),
    ("etodolac", "etodolac", "nsaid"), ("Relafen", "nabumetone", "nsaid"), ("Toradol", "ketorolac", "nsaid"),
    ("indomethacin", "indomethacin", "nsaid"),
    ("Prilosec", "omeprazole", "ppi"), ("Protonix", "pantoprazole", "ppi"), ("Nexium", "esomeprazole", "ppi"),
    ("Prevacid", "lansoprazole", "ppi"), ("rabeprazole", "rabeprazole", "ppi"),
    ("ranitidine", "ranitidine", "h2_blocker"), ("Pepcid", "famotidine", "h2_blocker"),
    ("Valium", "diazepam", "benzodiazepine"), ("Klonopin", "clonazepam", "benzodiazepine"),
    ("Xanax", "alprazolam", "benzodiazepine"), ("Ativan", "lorazepam", "benzodiazepine"),
    ("Restoril", "temazepam", "benzodiazepine"),
    ("Ambien", "zolpidem", "sleep_aid"), ("Lunesta", "eszopiclone", "sleep_aid"), ("Sonata", "zaleplon", "sleep_aid"),
    ("ramelteon", "ramelteon", "sleep_aid"), ("suvorexant", "suvorexant", "sleep_aid"),
    ("Silenor", "doxepin low dose", "sleep_aid"),
    ("Neurontin", "gabapentin", "anticonvulsant"), ("Gralise", "gabapentin", "anticonvulsant"),
    ("Lyrica", "pregabalin", "anticonvulsant"), ("topiramate", "topiramate", "anticonvulsant"),
    ("carbamazepine", "carbamazepine", "anticonvulsant"), ("lamotrigine", "lamotrigine", "anticonvulsant"),
    ("amitriptyline", "amitriptyline", "antidepressant"), ("nortriptyline", "nortriptyline", "antidepressant"),
    ("Cymbalta", "duloxetine", "antidepressant"), ("Effexor", "venlafaxine", "antidepressant"),
    ("milnacipran", "milnacipran", "antidepressant"), ("Wellbutrin", "bupropion", "antidepressant"),
    ("trazodone", "trazodone", "antidepressant"), ("sertraline", "sertraline", "antidepressant"),
    ("fluoxetine", "fluoxetine", "antidepressant"), ("citalopram", "citalopram", "antidepressant"),
    ("escitalopram", "escitalopram", "antidepressant"), ("paroxetine", "paroxetine", "antidepressant"),
    ("Lidoderm", "lidocaine", "topical_analgesic"), ("lidocaine ointment", "lidocaine", "topical_analgesic"),
    ("capsaicin", "capsaicin", "topical_analgesic"), ("Voltaren gel", "diclofenac topical", "topical_analgesic"),
    ("Flector", "diclofenac topical", "topical_analgesic"), ("Pennsaid", "diclofenac topical", "topical_analgesic"),
    ("Terocin", "methyl salicylate/capsaicin/menthol/lidocaine", "topical_analgesic"),
    ("Menthoderm", "methyl salicylate/menthol", "topical_analgesic"), ("Biofreeze", "menthol", "topical_analgesic"),
    ("docusate", "docusate", "laxative"), ("Colace", "docusate", "laxative"), ("senna", "senna", "laxative"),
    ("lactulose", "lactulose", "laxative"), ("Amitiza", "lubiprostone", "laxative"),
    ("ondansetron", "ondansetron", "antiemetic"),
    ("Theramine", "theramine", "medical_food"), ("Sentra PM", "sentra", "medical_food"),
    ("Trepadone", "trepadone", "medical_food"), ("Gabadone", "gabadone", "medical_food"),
    # compounded oral suspensions: the class of the active drug
    ("Deprizine", "ranitidine", "h2_blocker"), ("Dicopanol", "diphenhydramine", "sleep_aid"),
    ("Fanatrex", "gabapentin", "anticonvulsant"), ("Synapryn", "tramadol", "opioid"),
    ("Tabradol", "cyclobenzaprine", "muscle_relaxant"), ("Ketophene", "ketoprofen", "nsaid"),
    ("Tylenol", "acetaminophen", "acetaminophen"), ("Medrol", "methylprednisolone", "corticosteroid"),
    ("sumatriptan", "sumatriptan", "triptan"), ("Provigil", "modafinil", "stimulant"),
    ("Viagra", "sildenafil", "other"),
]


@pytest.mark.parametrize("name, generic, drug_class", COVERAGE, ids=[c[0] for c in COVERAGE])
def test_required_drug_coverage(lex, name, generic, drug_class):
    drug = lex.lookup(name)
    assert drug is not None, name
    assert (drug.generic, drug.drug_class) == (generic, drug_class)


@pytest.mark.parametrize("generic, factor", [
    ("hydrocodone/acetaminophen", 1.0), ("oxycodone", 1.5), ("oxycodone/acetaminophen", 1.5), ("morphine", 1.0),
    ("hydromorphone", 4.0), ("oxymorphone", 3.0), ("codeine", 0.15), ("acetaminophen/codeine", 0.15),
    ("tramadol", 0.1), ("tramadol/acetaminophen", 0.1), ("tapentadol", 0.4), ("fentanyl", 2.4),
])
def test_morphine_equivalent_factors_follow_cdc_2016(lex, generic, factor):
    assert lex.drugs[generic].med_factor == pytest.approx(factor)


def test_methadone_factor_depends_on_daily_dose(lex):
    methadone = lex.drugs["methadone"]
    assert [methadone.mme_factor(d) for d in (10, 20, 30, 50, 70, 150)] == [4, 4, 8, 10, 12, 12]
    assert lex.drugs["oxycodone"].mme_factor(500) == 1.5


def test_buprenorphine_has_no_factor_and_non_opioids_none(lex):
    assert lex.drugs["buprenorphine"].med_factor is None
    assert all(d.med_factor is None for d in lex.drugs.values() if d.drug_class != "opioid")
    opioids = [d for d in lex.drugs.values() if d.drug_class == "opioid" and not d.generic.startswith("buprenorphine")]
    assert all(d.med_factor for d in opioids)


def test_opioid_component_of_combinations(lex):
    assert lex.drugs["hydrocodone/acetaminophen"].opioid_component == 0
    assert lex.drugs["acetaminophen/codeine"].opioid_component == 1
    assert lex.lookup("hydrocodone").two_part_strength == "hydrocodone/acetaminophen"


def test_engine_vocabularies_read_the_same_generics(lex):
    from engine.vocab import load_vocabularies
    vocab = load_vocabularies()
    assert set(vocab.generics) == set(lex.generics)
    assert set(vocab.drug_classes) == set(lex.classes)


def test_yaml_keeps_the_fixed_top_level_format():
    data = yaml.safe_load((vocab_dir() / "drugs.yaml").read_text(encoding="utf-8"))
    assert data["vocabulary"] == "drugs"
    class_ids = {c["id"] for c in data["classes"]}
    for entry in data["drugs"]:
        assert entry["generic"] == entry["generic"].lower()
        assert entry["class"] in class_ids


# --------------------------------------------------------------------------- lookup

@pytest.mark.parametrize("spelling", ["Norco", "NORCO", "norco", "hydrocodone/apap", "Hydrocodone-APAP",
                                      "hydrocodone / acetaminophen", "Hydrocodone bitartrate and acetaminophen",
                                      "  hydrocodone   apap "])
def test_lookup_tolerates_case_spacing_and_separators(lex, spelling):
    assert lex.lookup(spelling).generic == "hydrocodone/acetaminophen"


def test_lookup_unknown_and_partial_names(lex):
    assert lex.lookup("Norc") is None
    assert lex.lookup("physical therapy") is None
    assert lex.lookup("") is None
    assert lex.lookup("Tylenol 3") is None            # "#3" is part of the name; "Tylenol 3" is not a name
    assert lex.lookup("Tylenol") .generic == "acetaminophen"


def test_brand_facts(lex):
    fanatrex = lex.brand("fanatrex")
    assert (fanatrex.generic, fanatrex.form, fanatrex.compounded) == ("gabapentin", "oral suspension", True)
    assert lex.brand("OxyContin").subclass == "long_acting"
    assert lex.brand("gabapentin") is None            # a generic is no brand
    assert lex.lookup("Synapryn").generic == "tramadol" and lex.brand("Synapryn").ingredients == ("glucosamine",)


def test_misspellings_are_known_and_flagged(lex):
    assert lex.lookup("Crisoprodol").generic == "carisoprodol"      # seed 004
    assert lex.lookup("Ketoprophen").generic == "ketoprofen"        # dev letters
    assert lex.lookup("Tramdol").generic == "tramadol"
    assert lex.is_misspelling("crisoprodol")
    assert not lex.is_misspelling("carisoprodol")


def test_topical_variant(lex):
    assert lex.variant("diclofenac", "topical").drug_class == "topical_analgesic"
    assert lex.variant("gabapentin", "topical") is None


def test_name_key():
    assert name_key("Hydrocodone/APAP") == "hydrocodone apap"
    assert name_key("Tylenol #3") == "tylenol #3"
    assert name_key("EC-Naprosyn") == "ec naprosyn"


# --------------------------------------------------------------------------- find

def test_find_positions_brands_and_order(lex):
    text = "Meds: NORCO 10/325 and Soma; Flexeril (cyclobenzaprine) prn."
    found = lex.find(text)
    assert [(m.matched, m.drug.generic, m.brand) for m in found] == [
        ("NORCO", "hydrocodone/acetaminophen", "Norco"),
        ("Soma", "carisoprodol", "Soma"),
        ("Flexeril", "cyclobenzaprine", "Flexeril"),
        ("cyclobenzaprine", "cyclobenzaprine", None),
    ]
    for m in found:
        assert text[m.start:m.end] == m.matched
    assert [m.start for m in found] == sorted(m.start for m in found)


def test_find_longest_match_wins(lex):
    found = lex.find("Voltaren gel 1% and Voltaren XR; Tylenol #3 and Tylenol; hydrocodone / APAP")
    assert [m.drug.generic for m in found] == ["diclofenac topical", "diclofenac", "acetaminophen/codeine",
                                               "acetaminophen", "hydrocodone/acetaminophen"]
    assert found[1].matched == "Voltaren XR"


def test_find_whole_words_only(lex):
    assert lex.find("Somatic pain, sommelier, Norcos, abnormal, Ultramarine, senescence") == []


def test_find_does_not_join_a_list_into_a_combination(lex):
    found = lex.find("Current medications: hydrocodone, acetaminophen.")
    assert [m.drug.generic for m in found] == ["hydrocodone", "acetaminophen"]


def test_find_across_a_line_break(lex):
    found = lex.find("Orphenadrine \r\nCitrate ER 100mg")
    assert len(found) == 1 and found[0].drug.generic == "orphenadrine" and found[0].end == len("Orphenadrine \r\nCitrate ER")


def test_find_handles_non_ascii_text(lex):
    text = "İnjured worker takes Norco\ufffe daily; anti\ufffeinflammatory Motrin"
    found = lex.find(text)
    assert [text[m.start:m.end] for m in found] == ["Norco", "Motrin"]


# every drug the five seed letters name, as the letters spell them
SEED_DRUGS = {
    "000": {"hydrocodone/acetaminophen", "methocarbamol"},
    "001": {"hydrocodone/acetaminophen", "eszopiclone", "clonazepam"},
    "002": {"hydrocodone/acetaminophen", "cyclobenzaprine"},
    "003": {"hydrocodone/acetaminophen", "tizanidine", "zolpidem", "ibuprofen", "omeprazole", "pregabalin",
            "diazepam"},
    "004": {"hydrocodone/acetaminophen", "carisoprodol", "oxycodone/acetaminophen", "diazepam",
            "tramadol/acetaminophen", "meprobamate"},
}


@pytest.mark.parametrize("prefix", sorted(SEED_DRUGS))
def test_every_drug_of_the_seed_letters_is_found(lex, prefix):
    paths = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not paths:
        pytest.skip(f"seed letter {prefix} not in {SEEDS}")
    text = paths[0].read_text(encoding="utf-8")
    found = {m.drug.generic for m in lex.find(text)}
    assert SEED_DRUGS[prefix] <= found


def _find_by_regex(lex, text):
    """The mentions `find` must give, by the plain method: regex tokens, then one scan of the
    text for the first words of names that occur in it as words."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    present = lex._first_tokens.intersection(re.findall(r"#?[a-z0-9]+", low))
    if not present:
        return []
    alternation = "|".join(re.escape(w) for w in sorted(present, key=lambda w: (-len(w), w)))
    out, last_end = [], 0
    for m in re.finditer(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])", low):
        if m.start() < last_end:
            continue
        for cand in lex._index[m.group()]:
            end = m.end()
            for token in cand.tokens[1:]:
                gap = re.compile(r"\s*[/\-+&.]?\s*").match(low, end)
                nxt = re.compile(r"#?[a-z0-9]+").match(low, gap.end())
                if nxt is None or nxt.group() != token:
                    break
                end = nxt.end()
            else:
                out.append((m.start(), end, cand.generic, cand.brand))
                last_end = end
                break
    return out


def test_find_agrees_with_a_regex_scan(lex):
    # names, parts of names, counts after '#', words glued to names, non-ASCII letters
    pieces = ["Norco", "norco", "#Norco", "Tylenol", "#3", "Tylenol #3", "hydrocodone", "/", "APAP", "Soma",
              "somatic", "Voltaren", "XR", "gel", "1%", "x#soma", "Ultram#", "\u0130", "\u00e9Norco", "Norco\u00e9",
              "B12", "vitamin", "10/325mg", ",", ";", " ", "  ", "\n", "-", "cyclobenzaprine", "Flexeril(", ")"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", " ", "\n", ", "]) for _ in range(rng.randint(1, 12)))
        got = [(m.start, m.end, m.drug.generic, m.brand) for m in lex.find(text)]
        assert got == _find_by_regex(lex, text), text


# --------------------------------------------------------------------------- malformed lexicons

GOOD = """
vocabulary: drugs
classes:
  - {id: opioid, meaning: Opioids.}
  - {id: nsaid, meaning: NSAIDs.}
drugs:
  - {generic: tramadol, class: opioid, route: oral, med_factor: 0.1, brands: [Ultram], names: [tramadol hcl]}
  - {generic: ibuprofen, class: nsaid, route: oral, brands: [Motrin]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "drugs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_lexicon_loads(tmp_path):
    lex = load_lexicon(write(tmp_path, GOOD))
    assert isinstance(lex.lookup("ultram"), Drug)
    assert lex.lookup("norco") is None
    assert [m.drug.generic for m in lex.find("Ultram and Motrin")] == ["tramadol", "ibuprofen"]


@pytest.mark.parametrize("change, message", [
    (("class: nsaid, route: oral, brands: [Motrin]", "class: nsaids, route: oral, brands: [Motrin]"),
     r"drugs\[1\] \(ibuprofen\): unknown class 'nsaids'"),
    (("brands: [Motrin]", "brands: [Motrin, Ultram]"),
     r"drugs\[1\] \(ibuprofen\) brands\[1\]: name 'Ultram' already means 'tramadol'"),
    (("names: [tramadol hcl]", "names: [tramadol hcl, Motrin]"),
     r"name 'Motrin' already means 'tramadol'"),
    (("med_factor: 0.1", "med_factor: lots"), r"drugs\[0\] \(tramadol\): `med_factor` must be a positive number"),
    (("{generic: ibuprofen, class: nsaid,", "{generic: ibuprofen, class: nsaid, med_factor: 1,"),
     r"`med_factor` is for opioids only"),
    (("{generic: ibuprofen,", "{generic: tramadol,"), r"duplicate generic 'tramadol'"),
    (("route: oral, brands: [Motrin]", "route: oral, ingredients: [famotidine], brands: [Motrin]"),
     r"names 'famotidine', which is not a generic"),
    (("route: oral, brands: [Motrin]", "route: by mouth, brands: [Motrin]"), r"unknown route 'by mouth'"),
    (("{generic: ibuprofen,", "{generic: Ibuprofen,"), r"`generic` must be lowercase"),
    (("route: oral, brands: [Motrin]", "route: oral, brand: [Motrin]"), r"unknown key\(s\) brand"),
])
def test_malformed_lexicon_errors_name_the_file_and_the_entry(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LexiconError, match=message) as info:
        load_lexicon(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_broken_yaml_and_missing_file(tmp_path):
    with pytest.raises(LexiconError, match=r"line \d+, column \d+: not valid YAML"):
        load_lexicon(write(tmp_path, "classes: [\n  - {id: x"))
    with pytest.raises(LexiconError, match="cannot read"):
        load_lexicon(tmp_path / "missing.yaml")
    with pytest.raises(LexiconError, match="expected a mapping with `classes:` and `drugs:`"):
        load_lexicon(write(tmp_path, "- just a list"))


def test_default_lexicon_is_cached():
    assert load_lexicon() is load_lexicon()


def test_no_name_is_an_ordinary_word_of_the_letters(lex):
    """Names that are English words would turn prose into drug mentions."""
    common = {"support", "program", "exam", "therapy", "patch", "the", "pain", "back", "neck", "care", "unit",
              "relief", "plan", "daily", "most", "lyrics", "bayer", "prolate", "dss"}
    assert not [w for w in common if lex.lookup(w) is not None]
    assert all(re.fullmatch(r"[#a-z0-9 ]+", key) for key in lex._names)  # noqa: SLF001 - normal form check
