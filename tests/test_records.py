"""Structured records (params ``record_share``): well formed in every language and layout, values
filled and labelled exactly, the share honoured, and a share of 0 the prose-only corpus itself."""

import json
import random
import re
from collections import Counter
from xml.etree import ElementTree

import pytest

from labelcheck import assert_filled_and_labelled
from piimask.core.config import load_params
from piimask.core.fill import find_placeholders
from piimask.core.io import read_records
from piimask.core.locale_values import LocaleValueFactory
from piimask.core.taxonomy import CLASSES
from piimask.core.values import ValueFactory
from piimask.pipeline import dataset, validate
from piimask.pipeline.generate import Request, generate
from piimask.pipeline.generate.factory import make_backend
from piimask.pipeline.generate.offline import OfflineBackend
from piimask.pipeline.generate.records import (
    BARE_LAYOUTS,
    CLOSINGS,
    DWELLINGS,
    EXCLUSIVE,
    FORM_RATE,
    FORM_SEXES,
    FORM_TITLES,
    INTROS,
    KIND_NAMES,
    KIND_WEIGHTS,
    KINDS,
    LAYOUTS,
    PASSWORD_CHARS,
    XML_ROOTS,
    FormValues,
    compose_record,
    fields,
    form_password,
    is_record,
)

LANGS = ("en", "fr", "de", "it", "nl")


def test_no_intro_or_closing_reads_as_a_refusal_or_a_preamble():
    from piimask.pipeline.answers import answer_problems

    for lang in LANGS:
        for line in INTROS[lang] + CLOSINGS[lang]:
            assert answer_problems(f"{line}\nE-mail: [EMAIL]") == [], (lang, line)


def test_field_names_cover_every_class_in_every_language():
    names = fields()
    assert set(names) == set(CLASSES)
    for c, by_lang in names.items():
        assert set(by_lang) == {"key", *LANGS}, c
        assert all(by_lang[k] and all(isinstance(n, str) and n.strip() for n in by_lang[k]) for k in by_lang), c
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in by_lang["key"]), c


@pytest.mark.parametrize("lang", LANGS)
def test_records_are_well_formed_and_hold_the_required_classes(lang):
    rng = random.Random(1)
    layouts = Counter()
    for i in range(300):
        required = [sorted(CLASSES)[i % len(CLASSES)]]
        text, tid = compose_record(lang, required, rng)
        holes = [h.label for h in find_placeholders(text)]
        assert required[0] in holes and set(holes) <= set(CLASSES), text
        m = re.fullmatch(rf"{lang}-r(\d+)\d/[A-Z0-9+]+", tid)
        assert m, tid
        layout = LAYOUTS[int(m.group(1))]
        layouts[layout] += 1
        for group in EXCLUSIVE:  # one currency field, one IP field, sex or gender
            assert len(group & set(holes)) <= 1 or required[0] in group, text
        if layout == "json":  # a JSON object once the values are in
            body = text[text.index("{") : text.rindex("}") + 1]
            assert isinstance(json.loads(re.sub(r"\[[A-Z0-9]+\]", "1", body)), dict)
        if layout == "table":
            lines = [ln for ln in text.splitlines() if ln.startswith("|")]
            assert len(lines) == 3 and len({ln.count("|") for ln in lines}) == 1, text
        if layout == "xml":
            assert re.search(r'<record type="\w+">\n(  <field name="\w+">\[[^<]+</field>\n)+</record>', text), text
        if layout in ("elements", "html"):  # well-formed markup once the values are in; no tag is a placeholder
            body = text[text.index("<") : text.rindex(">") + 1]
            root = ElementTree.fromstring(re.sub(r"\[[A-Z0-9]+\]", "1", body).split("?>")[-1].strip())
            assert len(root) == sum("[" in line for line in body.splitlines()) or layout == "html", text
            assert all(f"<{el.tag}>" not in {f"<{h.raw}>" for h in find_placeholders(text)} for el in root.iter())
    assert set(layouts) == set(LAYOUTS)


@pytest.mark.parametrize("lang", LANGS)
def test_bare_records_hold_values_alone_and_array_records_are_json(lang):
    rng = random.Random(2)
    seen = Counter()
    while min(seen[b] for b in BARE_LAYOUTS) < 15:
        text, tid = compose_record(lang, [], rng)
        layout = LAYOUTS[int(re.fullmatch(rf"{lang}-r(\d+)\d/.+", tid).group(1))]
        if layout not in BARE_LAYOUTS:
            continue
        seen[layout] += 1
        heads = [m.group(1) for m in re.finditer(r"^(.*?)\[[A-Z0-9]+\]", text, re.M)]
        heads = [re.sub(rf'"({"|".join(XML_ROOTS.values())})": ', "", h) for h in heads]  # an array's record name
        # nothing before a line's first value but a list mark, a row number, a bracket or a quote
        assert heads and all(re.fullmatch(r'[\s\-*•<"\d.,;|/\\{\[]*', h) for h in heads), text
        lines = [ln for ln in text.splitlines() if re.search(r"\[[A-Z0-9]+\]", ln)]
        if layout == "array":
            body = text[text.index("{") : text.rindex("}") + 1]
            assert isinstance(json.loads(re.sub(r"\[[A-Z0-9]+\]", "1", body)), dict), text
        if layout == "angled":
            assert all(re.fullmatch(r"\s*<\[[^<>]+>", ln) for ln in lines), text
    assert set(BARE_LAYOUTS) < set(LAYOUTS)


@pytest.mark.parametrize("lang", LANGS)
def test_record_values_are_filled_and_labelled_exactly(lang, tokenizer):
    rng = random.Random(5)
    masked = [compose_record(lang, [], rng)[0] for _ in range(80)]
    factories = [ValueFactory(seed=i) if lang == "en" else LocaleValueFactory(lang, seed=i) for i in range(80)]
    assert_filled_and_labelled(masked, factories, tokenizer)


def test_the_share_is_honoured_deterministic_and_zero_changes_nothing():
    prose, zero, some = OfflineBackend(), OfflineBackend(record_share=0.0), OfflineBackend(record_share=0.3)
    assert prose.model_id == zero.model_id and some.model_id != prose.model_id
    kinds = Counter()
    for i in range(400):
        md = {"seed": i, "field": "Finance", "style": "email", "required": ["IBAN"] if i % 2 else []}
        a = prose.complete(Request(str(i), "", "", metadata=md))
        b = zero.complete(Request(str(i), "", "", metadata=md))
        assert (a.text, a.metadata) == (b.text, b.metadata)
        # a backend avoids its own earlier texts, so a prose answer is compared on fresh backends
        a = OfflineBackend().complete(Request(str(i), "", "", metadata=md))
        c = OfflineBackend(record_share=0.3).complete(Request(str(i), "", "", metadata=md))
        again = some.complete(Request(str(i), "", "", metadata=md)).metadata["template_id"]
        assert ("-r" in again.split("/")[0]) == ("-r" in c.metadata["template_id"].split("/")[0])  # same choice
        record = "-r" in c.metadata["template_id"].split("/")[0]
        kinds[record] += 1
        if record:
            assert "[IBAN]" in c.text if i % 2 else True
        else:
            assert (c.text, c.metadata) == (a.text, a.metadata)  # a prose request is answered as before
    assert 0.22 < kinds[True] / 400 < 0.38


def test_a_run_with_records_in_every_language_passes_the_gate_and_splits_by_layout(tmp_path, tokenizer):
    p = load_params(
        "default",
        {
            "output_root": str(tmp_path),
            "run_name": "rec",
            "n_records": 200,
            "languages": [{c: 1} for c in LANGS],
            "record_share": 0.5,
        },
    )
    assert make_backend(p).record_share == 0.5
    s = generate(p, progress=False)
    assert s.failed == 0 and s.rejected == 0, s.reject_reasons  # no intro line reads as an LLM preamble
    recs = read_records(p.data_dir / "generated.jsonl")
    records = [r for r in recs if "-r" in (r.template_id or "").split("/")[0]]
    assert 60 < len(records) < 140 and {r.language for r in records} == set(LANGS)
    accepted, rejected = validate.gate(recs)
    assert len(rejected) <= 6, [(r.reject_reasons, r.source_text) for r in rejected]
    dataset.label_records(accepted, tokenizer)
    splits = dataset.split_records(accepted, 0.1, 0.1, 42)
    dataset.assert_no_leak(splits)
    assert {dataset.split_group(r) for r in records} <= {
        f"{c}-r{i}{k}" for c in LANGS for i in range(len(LAYOUTS)) for k in range(9)
    }
    assert len(INTROS) == len(LANGS)


def test_a_records_template_id_is_told_from_prose():
    assert is_record("nl-r31/PREFIX+FIRSTNAME+SEX") and is_record("en-r00/EMAIL")
    assert not any(map(is_record, ("f03/a+b", "nl-f02/x", "", "prompt/ex-1")))


@pytest.mark.parametrize("lang", LANGS)
def test_form_values_write_sexes_titles_second_lines_and_streets_as_forms_do(lang):
    own = ValueFactory(seed=4) if lang == "en" else LocaleValueFactory(lang, seed=4)
    form = FormValues(ValueFactory(seed=4) if lang == "en" else LocaleValueFactory(lang, seed=4), lang, 4)
    assert [form(c) for c in ("EMAIL", "IBAN", "ZIPCODE") * 20] == [own(c) for c in ("EMAIL", "IBAN", "ZIPCODE") * 20]
    sexes = [form("SEX") for _ in range(200)]
    options = FORM_SEXES[lang].split("|")
    form_only = set(options) - {own("SEX") for _ in range(300)}
    # FORM_RATE of them drawn from the options (the others the prose's, which share some options)
    assert form_only and abs(sum(s in form_only for s in sexes) / 200 - FORM_RATE * len(form_only) / len(options)) < 0.1
    assert {s for s in sexes if len(s) == 1} and {s for s in sexes if " " in s or "-" in s} & set(options)
    titles = FORM_TITLES[lang].split("|")
    prose = {own("PREFIX") for _ in range(2000)}  # the prose's prefixes and titles, cut ones too
    cut = [
        t
        for t in (form("PREFIX") for _ in range(400))
        if t not in titles and t not in prose and "." not in t and len(t) <= 4
    ]
    assert cut and all(any(t[0] == w[0] and set(t[1:]) <= set(w[1:]) for w in titles) for t in cut), cut
    own_words = {own("SECONDARYADDRESS").rsplit(" ", 1)[0] for _ in range(300)}
    lines = [form("SECONDARYADDRESS") for _ in range(200)]
    dwelling = [
        s for s in lines if re.fullmatch(r"([A-Z][\w ]*) ([1-9]\d{0,2})", s) and s.rsplit(" ", 1)[0] in DWELLINGS
    ]
    assert 0.2 < sum(s.rsplit(" ", 1)[0] not in own_words for s in dwelling) / 200 < 0.8, lines[:10]


def test_a_runs_records_hold_form_values_and_its_prose_does_not(tmp_path):
    def run(share):
        p = load_params(
            "default",
            {
                "output_root": str(tmp_path),
                "run_name": f"f{share}",
                "n_records": 120,
                "languages": ["nl"],
                "record_share": share,
            },
        )
        generate(p, progress=False)
        return read_records(p.data_dir / "generated.jsonl")

    form_only = set(FORM_SEXES["nl"].split("|")) - set(LocaleValueFactory("nl").formats.sexes)
    for share, expected in ((1.0, True), (0.0, False)):
        recs = run(share)
        sexes = {r.source_text[m["start"] : m["end"]] for r in recs for m in r.privacy_mask if m["label"] == "SEX"}
        assert bool(sexes & form_only) is expected, sexes


def test_form_passwords_are_short_symbolic_and_never_read_as_a_placeholder():
    rng = random.Random(2)
    pws = [form_password(rng) for _ in range(600)]
    assert {len(p) for p in pws} == set(range(4, 13))
    assert all(set(p) <= set(PASSWORD_CHARS) and not set(p) & set('"\\ ') for p in pws)
    assert not [p for p in pws if find_placeholders(f"Password: {p}") or re.search(r"\[[^\]]*\]", p)]
    assert len({ch for p in pws for ch in p if not ch.isalnum()}) >= 25  # every printable symbol but two


def test_english_records_name_people_from_other_countries_too():
    own = ValueFactory(seed=6)
    own_names = {own("LASTNAME") for _ in range(5000)}
    form = FormValues(ValueFactory(seed=6), "en", 6)
    names = [form("LASTNAME") for _ in range(300)]
    assert 0.1 < sum(n not in own_names for n in names) / 300 < 0.5
    towns = [form("CITY") for _ in range(300)]
    assert 0.2 < sum(len(t.split()) >= 2 for t in towns) / 300 < 0.9  # some with their district


def test_records_are_about_addresses_contacts_logins_and_times_more_than_payments():
    """The second kind of a record (and the first where it is not a person) is drawn by
    ``KIND_WEIGHTS``: an address three times as often as a payment, a vehicle half as often."""
    rng = random.Random(5)
    kinds = Counter()
    for _ in range(3000):
        _, tid = compose_record("nl", [], rng)
        classes = set(tid.split("/", 1)[1].split("+"))
        kinds.update(
            k
            for k in KIND_NAMES
            if k != "person" and classes & set(KINDS[k]) - {"USERNAME", "EMAIL", "URL", "AMOUNT", "CURRENCYCODE"}
        )
    assert set(KIND_WEIGHTS) == set(KINDS)
    assert kinds["address"] > 2 * kinds["payment"] and kinds["payment"] > 1.3 * kinds["crypto"], kinds
    assert kinds["address"] > kinds["login"] > kinds["job"] > kinds["vehicle"], kinds
