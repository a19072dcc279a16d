"""Token tagging: PII-ness decisions, word-consistent decoding, windows, long texts, odd characters,
and the transformers pipeline the model card names."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from piimask.predict import TaggedText, TokenTagger, repair, window_starts, word_consistent


def test_pii_ness_decides_where_the_label_hesitates():
    # a token split between DATE and DOB: argmax says O (0.40), PII-ness says 0.60
    t = TaggedText("born 1990-01-02", [(0, 4), (5, 15)], ["O", "O"], [0.99, 0.40], pii=[0.01, 0.60],
                   pii_labels=["O", "B-DATE"])
    assert t.entities() == []  # the raw tagger leaks it
    assert [(e["label"], e["start"], e["end"]) for e in t.entities(0.5)] == [("DATE", 5, 15)]
    assert t.entities(0.7) == []
    assert t.entities(0.7, {"DATE": 0.5})[0]["label"] == "DATE"  # per-class thresholds
    assert abs(t.entities(0.5)[0]["score"] - 0.60) < 1e-6


def test_subwords_continue_the_entity_of_their_word():
    text = "Dear Vicenta, card4111"
    offsets = [(0, 4), (5, 9), (9, 12), (12, 13), (14, 18), (18, 22)]
    labels = ["O", "B-FIRSTNAME", "B-COMPANYNAME", "O", "O", "B-CREDITCARDNUMBER"]
    assert word_consistent(text, offsets, labels) == ["O", "B-FIRSTNAME", "I-FIRSTNAME", "O", "O", "B-CREDITCARDNUMBER"]


def _reference_word_consistent(text, offsets, labels):
    """The loop the vectorised version replaced."""
    out = list(labels)
    for j in range(1, len(out)):
        (ps, pe), (s, e) = offsets[j - 1], offsets[j]
        if s == pe and pe > ps and e > s and text[pe - 1].isalnum() and text[s].isalnum() and out[j - 1] != "O":
            out[j] = "I-" + out[j - 1][2:]
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ab", "c", "1", " ", ".", "é", "-"]),
                          st.sampled_from(["O", "B-A", "I-A", "B-B", "I-B"])), max_size=25))
def test_vectorised_decoding_equals_the_loop(pieces):
    text, offsets, labels, pos = "", [], [], 0
    for chunk, lab in pieces:
        text += chunk
        if chunk.strip():
            offsets.append((pos, pos + len(chunk)))
            labels.append(lab)
        pos += len(chunk)
    assert word_consistent(text, offsets, labels) == _reference_word_consistent(text, offsets, labels)
    t = TaggedText(text, offsets, labels)
    assert t.labels == repair(_reference_word_consistent(text, offsets, labels))


@given(st.integers(1, 3000), st.integers(8, 300), st.integers(0, 100))
def test_windows_cover_every_token_with_the_overlap(n, size, overlap):
    overlap = min(overlap, size // 2)
    starts = window_starts(n, size, overlap)
    assert starts[0] == 0 and min(starts[-1] + size, n) == n
    for a, b in zip(starts, starts[1:]):
        assert a < b and a + size - b >= min(overlap, size)


def test_reduce_gives_pii_ness_and_the_best_class(tiny_model):
    tagger = TokenTagger(tiny_model)
    lab = tagger.model.config.label2id
    probs = np.zeros((2, len(lab)), dtype=np.float32)
    probs[0, [lab["O"], lab["B-DATE"], lab["B-DOB"], lab["I-DOB"]]] = [0.4, 0.25, 0.2, 0.15]
    probs[1, [lab["O"], lab["B-EMAIL"]]] = [0.9, 0.1]
    r = tagger.reduce(probs)
    assert r["arg_cls"][0] == 0 and abs(r["pii"][0] - 0.6) < 1e-6
    assert tagger.classes[r["best_cls"][0]] == "DOB" and r["best_begin"][0]  # 0.35 over 0.25; B 0.2 > I 0.15
    assert abs(r["pii"][1] - 0.1) < 1e-6 and tagger.classes[r["best_cls"][1]] == "EMAIL"


def test_long_text_windows_find_the_entity_at_the_end(tiny_model):
    from piimask.mask import Masker

    tagger = TokenTagger(tiny_model, window=128, stride=32)
    text = "lorem ipsum dolor sit amet " * 1000 + "write to last.entity@example.com"
    tagged = tagger.tag([text])[0]
    n_tokens = len(tagger.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert n_tokens > 5000 and len(tagged.offsets) == n_tokens  # every token tagged, none truncated
    assert tagged.offsets[-1][1] == len(text)
    ents = Masker(tagger).detect(text)
    assert any(text[e["start"]:e["end"]] == "last.entity@example.com" for e in ents)


def test_long_texts_are_tokenized_in_pieces_like_the_whole(tiny_model, monkeypatch):
    import piimask.predict as predict

    tagger = TokenTagger(tiny_model, window=64, stride=16)
    text = ("Zoë Ødegård paid 4111 1111 1111 1111 at 10:30;\nno-space-run-" + "x" * 150 + " ") * 40
    whole = tagger.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    monkeypatch.setattr(predict, "_PIECE_CHARS", 500)
    ids, offs = tagger._encode_long(text)
    assert ids.tolist() == whole["input_ids"] and [tuple(o) for o in offs.tolist()] == whole["offset_mapping"]
    # tagging in windows gives every token one decision, whatever the piece size
    assert len(tagger.tag([text])[0].offsets) == len(whole["input_ids"])


def test_characters_a_tokenizer_cannot_take(tiny_model):
    tagger = TokenTagger(tiny_model)
    texts = ["a\ud800b \udfff c", "nul\x00 rtl\u202e zw\u200b", "\ud83d"]
    tagged = tagger.tag(texts)
    for text, t in zip(texts, tagged):
        assert all(0 <= s < e <= len(text) for s, e in t.offsets)
    assert any(s <= 1 < e for s, e in tagged[0].offsets)  # the surrogate is inside a token, offsets intact


def test_model_paths_are_local_unless_the_hub_is_allowed(tmp_path):
    with pytest.raises(FileNotFoundError, match="allow"):
        TokenTagger(tmp_path / "missing-model")
    with pytest.raises(FileNotFoundError, match="allow"):
        TokenTagger("some-org/some-model")


def test_transformers_pipeline_first_aggregation_matches_argmax_spans(tiny_model):
    """What the model card says: aggregation_strategy="first" gives the tagger's argmax spans,
    except where a word's first piece is O and a later piece is tagged (the Masker keeps those);
    the PII-ness decision at a threshold <= 0.5 covers every pipeline span."""
    from transformers import pipeline

    tagger = TokenTagger(tiny_model)
    pipe = pipeline("token-classification", model=str(tiny_model), aggregation_strategy="first", device="cpu")
    texts = ["Contact Harper Balistreri at harper.b@quietlantern.biz or +44 20 7946 0958 today.",
             "The invoice 4539148803436467 for Stehr - Romaguera is due on 10/03/2024 in Port Kayliestead.",
             "unbelievably longwindedness characterises pseudopseudohypoparathyroidism discussions"]
    for text, tagged in zip(texts, tagger.tag(texts)):
        ours = {(e["start"], e["end"], e["label"]) for e in tagged.entities()}
        theirs = {(e["start"], e["end"], e["entity_group"]) for e in pipe(text)}
        offsets, labels = tagged.offsets, tagged.labels
        glued_after_o = {offsets[j][0] for j in range(1, len(offsets))
                         if offsets[j][0] == offsets[j - 1][1] and text[offsets[j][0] - 1].isalnum()
                         and text[offsets[j][0]].isalnum()}
        assert {s for s in ours - theirs if s[0] not in glued_after_o} == set(), text
        assert not {s for s in theirs - ours if not any(o[0] <= s[0] < o[1] for o in ours)}, text
        covered = {i for e in tagged.entities(0.5) for i in range(e["start"], e["end"])}
        assert all(i in covered for s, e, _ in theirs for i in range(s, e) if not text[i].isspace())
