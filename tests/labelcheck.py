"""A check the language and record tests share: masked texts filled and labelled exactly."""

from piimask.core.fill import fill, find_placeholders
from piimask.core.label import bio_for_given_tokens, check_spans, tokenize_and_label


def assert_filled_and_labelled(masked_texts, value_factories, tokenizer) -> None:
    """Each masked text filled by its value factory: every value at its offsets with its
    placeholder's label, and token BIO with one B- per value, each labelled token inside a value
    of its class, the same labels from the given tokens."""
    filled = []
    for masked, values in zip(masked_texts, value_factories):
        f = fill(masked, values)
        check_spans(f.source_text, f.privacy_mask)
        assert all(f.source_text[e["start"] : e["end"]] == e["value"] for e in f.privacy_mask)
        assert [e["label"] for e in f.privacy_mask] == [h.label for h in find_placeholders(masked)]
        filled.append(f)
    labelled = tokenize_and_label([f.source_text for f in filled], [f.privacy_mask for f in filled], tokenizer)
    for f, (tokens, labels, offsets) in zip(filled, labelled):
        begun = sum(lab.startswith("B-") for lab in labels)
        if begun != len(f.privacy_mask):  # only where one token covers two values (validate.b_count_causes:
            # an unknown currency sign glued to its amount is one [UNK]); every value still has a token
            shared = [(s, e) for s, e in offsets if sum(s < x["end"] and x["start"] < e for x in f.privacy_mask) > 1]
            assert shared and begun == len(f.privacy_mask) - len(shared), f.source_text
            assert all(any(s < x["end"] and x["start"] < e for s, e in offsets) for x in f.privacy_mask)
        for lab, (s, e) in zip(labels, offsets):  # a labelled token lies in a value of its class
            if lab != "O":
                assert any(x["start"] < e and s < x["end"] and x["label"] == lab[2:] for x in f.privacy_mask)
        assert bio_for_given_tokens(f.source_text, tokens, f.privacy_mask) == labels
