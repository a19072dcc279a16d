"""Texts beyond English: the fragment banks, the language grammar, fill and labelling per language,
runs in several languages (determinism, splits, English untouched), prompts and seed examples."""

import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from labelcheck import assert_filled_and_labelled
from piimask.core.config import load_params
from piimask.core.fill import find_placeholders
from piimask.core.io import read_records
from piimask.core.label import check_spans
from piimask.core.locale_values import LocaleValueFactory
from piimask.core.taxonomy import CLASSES
from piimask.pipeline import dataset, validate
from piimask.pipeline.generate import Request, generate
from piimask.pipeline.generate.factory import make_backend
from piimask.pipeline.generate.multilingual import (
    CONNECTIVES,
    LanguageGrammar,
    MultilingualOfflineBackend,
    language_bank,
    language_bank_stats,
    language_name_habits,
    punctuation_habits,
    reference_for,
)
from piimask.pipeline.generate.offline import N_FAMILIES, OfflineBackend, bank
from piimask.pipeline.generate.prompts import build_prompt
from piimask.pipeline.generate.reference import load_reference

LANGS = ("fr", "de", "it", "nl")
STYLES = {
    "*",
    "email",
    "notification",
    "casual conversation",
    "formal document",
    "blog post",
    "social media post",
    "academic paper",
    "presentation",
    "review",
}
SLOTS = {"topic", "event", "org", "doc", "person"}


def params(tmp_path, **kw):
    return load_params("default", {"output_root": str(tmp_path), "run_name": "m", **kw})


MIX = [{"en": 1}, {"fr": 1}, {"de": 1}, {"it": 1}, {"nl": 1}]


# -- the banks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_bank_is_well_formed_with_the_english_inventory(lang):
    base = resources.files("piimask") / "data" / "fragments" / lang
    headers = {
        kind: [
            ln[3:].strip()
            for ln in (base / f"{kind}.txt").read_text(encoding="utf-8").splitlines()
            if ln.startswith("## ")
        ]
        for kind in ("openings", "bodies", "closings")
    }
    assert set(headers["bodies"]) == set(CLASSES)  # a sentence for every class, headers are classes
    assert set(headers["openings"]) <= STYLES and set(headers["closings"]) <= STYLES
    b = language_bank(lang)  # parsing refuses unknown placeholders
    vocab = b["vocab"]
    assert set(vocab) == set(bank()["vocab"])  # the English fields, written in the language
    for field, slots in vocab.items():
        assert set(slots) == SLOTS and all(isinstance(w, str) and w for ws in slots.values() for w in ws), field
    english = {f.text for kind in ("opening", "body", "closing") for f in bank()[kind]}
    for kind in ("opening", "body", "closing"):
        for f in b[kind]:
            assert all(h.known and h.index is None for h in find_placeholders(f.text)), f.text
            assert set(re.findall(r"\{(\w+)\}", f.text)) <= SLOTS, f.text  # slots, or {a|b} alternations
            assert f.text.count("[") == f.text.count("]")
    same = [f.text for kind in ("opening", "body", "closing") for f in b[kind] if f.text in english]
    assert len(same) <= 8, same  # written anew: only labels such as "IBAN: [IBAN]" are the same in English
    for f in b["body"]:
        assert f.key in f.classes, f.text  # a sentence written for a class carries it
    s = language_bank_stats(lang)
    assert s["bodies"] >= 350 and s["openings"] >= 40 and s["closings"] >= 40
    assert set(s["bodies_per_class"]) == set(CLASSES) and min(s["bodies_per_class"].values()) >= 4


@pytest.mark.parametrize("lang", LANGS)
def test_texts_do_not_repeat_and_follow_the_class_shares(lang):
    g = LanguageGrammar(lang)
    rng = random.Random(5)
    texts, counts = [], Counter()
    for i in range(600):
        text, tid = g.compose("Finance", ["email", "notification", "review"][i % 3], [], rng)
        assert tid.startswith(f"{lang}-f") and 0 <= int(tid[len(lang) + 2 : len(lang) + 4]) < N_FAMILIES
        texts.append(text)
        counts.update(h.label for h in find_placeholders(text))
    assert len(set(texts)) >= 570  # a few short one-sentence texts come twice: the backend asks again
    assert len(counts) >= 54 and counts.most_common(1)[0][0] in ("FIRSTNAME", "LASTNAME")
    # required classes come first, from a family that has sentences for all of them
    assert any(fam["lead"].get("IBAN") and fam["lead"].get("PIN") for fam in g.by_family.values())
    for _ in range(20):
        text, _ = g.compose("Legal", "email", ["IBAN", "PIN"], rng)
        assert {"IBAN", "PIN"} <= {h.label for h in find_placeholders(text)}


def test_other_languages_lean_towards_the_classes_their_real_rows_hold():
    """Names keep the English shares; times, user names, addresses and the like LEAN times the
    share of a class those rows never hold (an IBAN), and the calibrated grammar writes them so."""
    from piimask.pipeline.generate.multilingual import LEAN, LEANING_CLASSES, language_class_shares
    from piimask.pipeline.generate.offline import Grammar, class_shares

    english, other = class_shares(), language_class_shares()
    assert sum(other.values()) == pytest.approx(1.0)
    assert all(other[c] == english[c] for c in ("FIRSTNAME", "LASTNAME", "MIDDLENAME", "PREFIX"))
    assert other["STREET"] == pytest.approx(LEAN * other["IBAN"]) and other["IBAN"] < english["IBAN"] < other["STREET"]

    def leaning_share(grammar) -> float:
        rng, counts = random.Random(9), Counter()
        for i in range(1500):
            text, _ = grammar.compose("", ["email", "notification", "review"][i % 3], [], rng)
            counts.update(h.label for h in find_placeholders(text))
        return sum(counts[c] for c in LEANING_CLASSES) / sum(counts.values())

    assert leaning_share(LanguageGrammar("nl")) > 1.4 * leaning_share(Grammar())


def test_the_backend_does_not_repeat_a_text():
    backend = MultilingualOfflineBackend(["de", "nl"])
    texts = [
        backend.complete(
            Request(
                str(i),
                "",
                "",
                metadata={"seed": i, "field": "Finance", "style": "review", "language": ("de", "nl")[i % 2]},
            )
        ).text
        for i in range(600)
    ]
    assert len(set(texts)) >= 598


def test_connectives_and_punctuation_of_each_language():
    rng = random.Random(0)
    nbsp = [punctuation_habits("fr", "Objet : votre dossier ; merci !", rng) for _ in range(200)]
    assert "Objet\u00a0: votre dossier\u202f; merci\u202f!" in nbsp and "Objet : votre dossier ; merci !" in nbsp
    assert punctuation_habits("de", "Betreff : x", rng) == "Betreff : x"
    assert all(keep for word, keep in CONNECTIVES["de"]) and all(w.endswith(": ") for w, _ in CONNECTIVES["de"])
    g = LanguageGrammar("de")
    texts = [g.compose("Finance", "email", [], random.Random(i))[0] for i in range(300)]
    joined = [t for t in texts if any(w in t for w, _ in CONNECTIVES["de"])]
    assert joined and all(re.search(r"(Übrigens|Hinweis|Wichtig): [a-zäöü]", t) is None for t in joined)  # Sie, nouns
    g = LanguageGrammar("fr")
    texts = [g.compose("Finance", "email", [], random.Random(i))[0] for i in range(300)]
    assert any(re.search(r"(Par ailleurs|De plus), [a-zé]", t) for t in texts)  # a comma lowers the next word
    assert not any(re.search(r"(Par ailleurs|De plus), [a-z]\.", t) for t in texts)  # but not "C.F." or "IBAN"


def test_name_habits_keep_a_lone_given_name():
    rng = random.Random(1)
    out = Counter(language_name_habits("Bonjour [PREFIX] [FIRSTNAME], merci.", rng) for _ in range(400))
    assert out["Bonjour [PREFIX] [LASTNAME], merci."] > out["Bonjour [PREFIX] [FIRSTNAME], merci."] > 50
    alone = {language_name_habits("Salut [FIRSTNAME] !", rng) for _ in range(200)}
    assert alone == {"Salut [FIRSTNAME] !"}
    full = Counter(language_name_habits("[FIRSTNAME] [LASTNAME] a signé.", rng) for _ in range(400))
    assert 20 < full["[FIRSTNAME] [MIDDLENAME] [LASTNAME] a signé."] < 120


# -- fill and labelling -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_fill_and_labels_match_the_values_exactly(lang, tokenizer):
    g = LanguageGrammar(lang)
    rng = random.Random(2)
    masked = [g.compose("Medical", "email", [], rng)[0] for _ in range(150)]
    assert_filled_and_labelled(masked, [LocaleValueFactory(lang, seed=i) for i in range(150)], tokenizer)


# -- runs in several languages ------------------------------------------------------------------


def test_a_mixed_run_is_valid_leak_free_and_english_texts_are_the_english_grammars(tmp_path, tokenizer):
    p = params(tmp_path, n_records=250, languages=MIX, strategy="balanced", min_class_count=2)
    backend = make_backend(p)
    assert isinstance(backend, MultilingualOfflineBackend)
    s = generate(p, backend=backend, progress=False)
    assert s.accepted == 250 and s.failed == 0
    recs = read_records(p.data_dir / "generated.jsonl")
    assert Counter(r.language for r in recs) == {c: 50 for c in ("en", "fr", "de", "it", "nl")}
    for r in recs:
        check_spans(r.source_text, r.privacy_mask)
        assert r.template_id.startswith(f"{r.language}-f" if r.language != "en" else "f")
    # an English request of a mixed run gets what an English-only backend answers
    mixed, english = MultilingualOfflineBackend(["en", "fr"]), OfflineBackend()
    for i in range(30):
        md = {"seed": i, "field": "Legal", "style": "email", "required": ["IBAN"] if i % 3 else []}
        a = mixed.complete(Request(str(i), "", "", metadata={**md, "language": "en"}))
        b = english.complete(Request(str(i), "", "", metadata=md))
        assert (a.text, a.metadata) == (b.text, b.metadata)
    accepted, rejected = validate.gate(recs)
    assert len(rejected) <= 5, [(r.language, r.reject_reasons, r.source_text) for r in rejected]
    dataset.label_records(accepted, tokenizer)
    splits = dataset.split_records(accepted, 0.1, 0.1, 42)
    groups = dataset.assert_no_leak(splits)
    assert all(len({g.split("-")[0] for g in groups[s] if "-" in g}) >= 1 for s in groups)
    assert {dataset.split_group(r) for r in recs if r.language == "de"} <= {f"de-f{i:02d}" for i in range(N_FAMILIES)}


def test_english_only_runs_do_not_use_the_multilingual_backend(tmp_path):
    assert type(make_backend(params(tmp_path))) is OfflineBackend
    assert type(make_backend(params(tmp_path, languages=[{"en": 3}]))) is OfflineBackend
    only_nl = make_backend(params(tmp_path, languages=["nl"]))
    assert isinstance(only_nl, MultilingualOfflineBackend) and set(only_nl.grammars) == {"nl"}
    with pytest.raises(ValueError, match="'fr'.*nl"):
        only_nl.complete(Request("x", "", "", metadata={"seed": 1, "language": "fr"}))


DETERMINISM = """
import sys
from piimask.core.config import load_params
from piimask.pipeline.generate import generate
p = load_params("default", {"output_root": sys.argv[1], "run_name": "d", "n_records": 120,
                            "languages": [{"fr": 1}, {"de": 1}, {"it": 1}, {"nl": 1}]})
generate(p, progress=False)
"""


def test_same_seed_same_bytes_in_every_language_whatever_the_hash_seed(tmp_path):
    src = str(Path(__file__).resolve().parents[1] / "src")
    runs = []
    for hash_seed in ("2", "9"):
        out = tmp_path / f"h{hash_seed}"
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        }
        runs.append(
            (
                out,
                subprocess.Popen(
                    [sys.executable, "-c", DETERMINISM, str(out)], env=env, stderr=subprocess.PIPE, text=True
                ),
            )
        )
    for _, proc in runs:
        assert proc.wait() == 0, proc.stderr.read()[-3000:]
    (a, _), (b, _) = runs
    data = (a / "d/data/generated.jsonl").read_bytes()
    assert data == (b / "d/data/generated.jsonl").read_bytes()
    langs = Counter(json.loads(line)["language"] for line in data.decode().splitlines())
    assert langs == {"fr": 30, "de": 30, "it": 30, "nl": 30}


def test_growing_one_language_keeps_the_others_records(tmp_path):
    from piimask.pipeline.generate.run import plans_for

    a = plans_for(params(tmp_path, n_records=40, languages=[{"en": 1}, {"fr": 1}]))
    b = plans_for(params(tmp_path, n_records=60, languages=[{"en": 1}, {"fr": 2}]))
    en_a = [p.request_id for p in a if p.extra["language"] == "en"]
    assert en_a == [p.request_id for p in b if p.extra["language"] == "en"]
    fr_a = [p.request_id for p in a if p.extra["language"] == "fr"]
    assert fr_a == [p.request_id for p in b if p.extra["language"] == "fr"][: len(fr_a)]


# -- LLM backends -------------------------------------------------------------------------------


def test_prompts_ask_for_the_language_and_english_prompts_are_unchanged():
    example = "Dear [FIRSTNAME], your [IBAN] is ready."
    en = build_prompt("Finance", "email", example, ["FIRSTNAME", "IBAN"])
    assert en.hash == "9ad2654fa8bf0466"  # the English prompt from before languages existed
    assert build_prompt("Finance", "email", example, ["FIRSTNAME", "IBAN"], language="en") == en
    nl = build_prompt("Finance", "email", "Beste [FIRSTNAME], ...", ["FIRSTNAME"], language="nl")
    assert "in Dutch (Nederlands)" in nl.system and "Beste [FIRSTNAME]" in nl.system and "Dutch" in nl.user
    with pytest.raises(ValueError, match="'es'"):
        build_prompt("Finance", "email", example, ["IBAN"], language="es")


@pytest.mark.parametrize("lang", LANGS)
def test_seed_examples_per_language_exact_and_llm_plans_use_them(lang, tmp_path):
    rows = load_reference("package", lang)
    assert len(rows) >= 12 and all(r["language"] == lang for r in rows)
    for r in rows:
        check_spans(r["source_text"], r["privacy_mask"])
        assert all(r["source_text"][e["start"] : e["end"]] == e["value"] for e in r["privacy_mask"])
        assert len(r["mbert_text_tokens"]) == len(r["mbert_bio_labels"])
    assert {e["label"] for r in rows for e in r["privacy_mask"]} == set(CLASSES)
    # a reference dataset without rows in the language (the 200k has no Dutch) falls back on them
    other = tmp_path / "ref.jsonl"
    other.write_text(json.dumps({"id": 1, "language": "en", "source_text": "x", "target_text": "Hi [FIRSTNAME]"}))
    p = params(tmp_path, reference_dataset=str(other))
    assert [r["id"] for r in reference_for(p, lang)] == [r["id"] for r in rows]
    assert [r["id"] for r in reference_for(p, "en")] == [1]
