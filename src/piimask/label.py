"""Exact span labels and token BIO labels, by the convention of ai4privacy/pii-masking-200k.

- ``span_labels``: the full cover of the text, ``[[start, end, label], ...]`` with ``O`` between
  entities, sorted, contiguous, end exclusive.
- Tokens come without special tokens. The first token of an entity is ``B-X``; every later token
  of it (subwords and punctuation inside it) is ``I-X``; other tokens are ``O``. A token that
  straddles an entity edge still belongs to that entity; a token touching two entities goes to
  the one it overlaps most (the earlier on a tie).
"""
from __future__ import annotations

import unicodedata
from typing import Sequence


class SpanError(ValueError):
    """Spans that overlap or fall outside the text."""


def span_problems(text: str, privacy_mask: Sequence[dict]) -> list[tuple[str, str]]:
    """(reason code, message) for the spans' faults: the first out-of-bounds or mismatched span
    (``span_out_of_bounds`` / ``span_mismatch``), then the first overlap (``span_overlap``)."""
    ents = sorted(privacy_mask, key=lambda e: (e["start"], e["end"]))
    problems = []
    for e in ents:
        where = f"span {e['start']}:{e['end']} ({e['label']})"
        if not (0 <= e["start"] < e["end"] <= len(text)):
            problems.append(("span_out_of_bounds", f"{where} outside text of length {len(text)}"))
            break
        if "value" in e and text[e["start"]:e["end"]] != e["value"]:
            problems.append(("span_mismatch", f"{where} reads {text[e['start']:e['end']]!r}, not its value {e['value']!r}"))
            break
    prev_end = 0
    for e in ents:
        if e["start"] < prev_end:
            problems.append(("span_overlap", f"span {e['start']}:{e['end']} ({e['label']}) overlaps the previous one"))
            break
        prev_end = e["end"]
    return problems


def check_spans(text: str, privacy_mask: Sequence[dict]) -> list[dict]:
    """Sorted copy of ``privacy_mask``; raises ``SpanError`` on overlap, bounds or value mismatch."""
    problems = span_problems(text, privacy_mask)
    if problems:
        raise SpanError(problems[0][1])
    return sorted(privacy_mask, key=lambda e: (e["start"], e["end"]))


def span_labels(text: str, privacy_mask: Sequence[dict]) -> list[list]:
    """The full cover of ``text``: entity spans and the ``O`` spans between them."""
    out: list[list] = []
    cursor = 0
    for e in check_spans(text, privacy_mask):
        if e["start"] > cursor:
            out.append([cursor, e["start"], "O"])
        out.append([e["start"], e["end"], e["label"]])
        cursor = e["end"]
    if cursor < len(text) or not out:
        out.append([cursor, len(text), "O"])
    return out


def bio_from_offsets(offsets: Sequence[tuple[int, int]], privacy_mask: Sequence[dict]) -> list[str]:
    """BIO labels for tokens given by character ``offsets``; zero-width tokens are ``O``."""
    ents = sorted(privacy_mask, key=lambda e: e["start"])
    labels: list[str] = []
    started: set[int] = set()
    j = 0  # first entity that may still overlap the current token
    for s, e in offsets:
        if e <= s:
            labels.append("O")
            continue
        while j < len(ents) and ents[j]["end"] <= s:
            j += 1
        best, best_overlap = None, 0
        k = j
        while k < len(ents) and ents[k]["start"] < e:
            overlap = min(e, ents[k]["end"]) - max(s, ents[k]["start"])
            if overlap > best_overlap:
                best, best_overlap = k, overlap
            k += 1
        if best is None:
            labels.append("O")
        else:
            labels.append(("I-" if best in started else "B-") + ents[best]["label"])
            started.add(best)
    return labels


def tokenize_and_label(texts: Sequence[str], masks: Sequence[Sequence[dict]], tokenizer,
                       batch_size: int = 1000) -> list[tuple[list[str], list[str], list[tuple[int, int]]]]:
    """Tokens, BIO labels and offsets for many texts, one tokenizer call per ``batch_size`` texts.

    ``tokenizer`` must be a fast tokenizer (it gives the offset mapping).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("labelling needs a fast tokenizer (offset mappings); got a slow one")
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # a copy without the padding/truncation a saved tokenizer may carry
        from tokenizers import Tokenizer

        backend = Tokenizer.from_str(backend.to_str())
        backend.no_padding()
        backend.no_truncation()
    out = []
    for i in range(0, len(texts), batch_size):
        chunk = list(texts[i:i + batch_size])
        if backend is not None:  # the Rust tokenizer directly: same tokens, none of the Python wrapping
            for b, e in enumerate(backend.encode_batch(chunk, add_special_tokens=False)):
                out.append((e.tokens, bio_from_offsets(e.offsets, masks[i + b]), e.offsets))
            continue
        enc = tokenizer(chunk, add_special_tokens=False, return_offsets_mapping=True)
        for b in range(len(chunk)):
            offsets = [tuple(o) for o in enc["offset_mapping"][b]]
            out.append((enc.tokens(b), bio_from_offsets(offsets, masks[i + b]), offsets))
    return out


# -- labelling given WordPiece tokens ----------------------------------------------------------

def _fold(s: str) -> str:
    """Lower-case and strip accents, as uncased WordPiece vocabularies do."""
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")


def _is_ws(ch: str) -> bool:
    """Whitespace as BERT normalisers see it (Python's isspace also counts some controls)."""
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _dropped(ch: str) -> bool:
    """Characters BERT-style normalisers delete: controls, format characters, combining marks."""
    cat = unicodedata.category(ch)
    return (cat in ("Cc", "Cf", "Co", "Cs", "Mn") or ch == "\ufffd") and not _is_ws(ch)


def offsets_from_wordpieces(text: str, tokens: Sequence[str], unk_token: str = "[UNK]") -> list[tuple[int, int]]:
    """Recover each WordPiece token's character offsets in ``text`` (``##`` marks continuations).

    Matching runs on a folded copy of the text (lower case, accents and control characters
    removed, as BERT normalisers do) that remembers each folded character's original index, so
    cased and uncased vocabularies both work, and a character that decomposes into several
    tokens (Hangul syllables) gives each of them its offsets. ``[UNK]`` stands for one whole
    pre-token (a word, a punctuation mark or a CJK character), as WordPiece emits it.
    Raises ``ValueError`` if the tokens do not spell out the text.
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if _is_ws(ch):
            chars.append(" ")
            origin.append(i)
        elif not _dropped(ch):
            for c in _fold(ch):
                chars.append(c)
                origin.append(i)
    folded = "".join(chars)
    m = len(folded)
    offsets: list[tuple[int, int]] = []
    pos = 0
    for i, tok in enumerate(tokens):
        cont = tok.startswith("##") and len(tok) > 2
        if not cont:
            while pos < m and folded[pos] == " ":
                pos += 1
        if tok == unk_token:
            start_orig = origin[pos] if pos < m else len(text)
            words = _pre_tokens(text, start_orig, min(len(text), start_orig + 200))
            start, end = words[0] if words else (start_orig, start_orig)
            while pos < m and origin[pos] < end:
                pos += 1
        else:
            piece = _fold(tok[2:] if cont else tok)
            if not piece or not folded.startswith(piece, pos):
                where = origin[pos] if pos < m else len(text)
                raise ValueError(f"token {i} {tok!r} does not match the text at {where}: {text[where:where + 20]!r}")
            start, end = origin[pos], origin[pos + len(piece) - 1] + 1
            pos += len(piece)
        offsets.append((start, end))
    return offsets


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(ch).startswith("P")


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _pre_tokens(text: str, start: int, limit: int) -> list[tuple[int, int]]:
    """BERT's basic pre-tokenisation of ``text[start:limit]``: words, single punctuation, single CJK."""
    out: list[tuple[int, int]] = []
    i = start
    while i < limit:
        ch = text[i]
        if _is_ws(ch) or _dropped(ch):
            i += 1
        elif _is_punct(ch) or _is_cjk(ch):
            out.append((i, i + 1))
            i += 1
        else:
            j = i
            while j < limit and not (_is_ws(text[j]) or _is_punct(text[j]) or _is_cjk(text[j])):
                j += 1
            out.append((i, j))
            i = j
    return out


def bio_for_given_tokens(text: str, tokens: Sequence[str], privacy_mask: Sequence[dict],
                         unk_token: str = "[UNK]") -> list[str]:
    """BIO labels for a dataset's own token list (e.g. the 200k ``mbert_text_tokens``)."""
    return bio_from_offsets(offsets_from_wordpieces(text, tokens, unk_token), privacy_mask)


def entities_from_bio(labels: Sequence[str]) -> list[tuple[str, int, int]]:
    """(class, first token, last token + 1) for every entity in a BIO sequence (lenient on I- starts)."""
    ents = []
    cur = None
    for i, lab in enumerate(list(labels) + ["O"]):
        if lab == "O" or lab.startswith("B-") or (lab.startswith("I-") and (cur is None or cur[0] != lab[2:])):
            if cur is not None:
                ents.append((cur[0], cur[1], i))
                cur = None
            if lab != "O":
                cur = (lab[2:], i)
    return ents
