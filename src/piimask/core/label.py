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
from collections.abc import Sequence
from functools import lru_cache


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
        if "value" in e and text[e["start"] : e["end"]] != e["value"]:
            problems.append(
                ("span_mismatch", f"{where} reads {text[e['start'] : e['end']]!r}, not its value {e['value']!r}")
            )
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


def tokenize_and_label(
    texts: Sequence[str], masks: Sequence[Sequence[dict]], tokenizer, batch_size: int = 1000
) -> list[tuple[list[str], list[str], list[tuple[int, int]]]]:
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
        chunk = list(texts[i : i + batch_size])
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
#
# A dataset stores tokens but not their offsets, so they are recovered by re-reading the text the
# way a BERT tokenizer does. That re-reading cannot be exact: a tokenizer classifies characters by
# the Unicode tables it was built with (the Rust `tokenizers` ones predate Python's for
# punctuation and combining marks, are newer for case mapping, and its CJK ranges differ), so it
# may keep a character Python would drop, or not split where Python would (U+1B7D is punctuation
# to Python 3.11, part of a word to the Rust tokenizer, so "0᭽/" is [UNK] over "0᭽", then "/").
# So the text is aligned with the tokens rather than re-tokenised: known tokens must match the
# folded text, an [UNK] takes what lies between them, and characters whose treatment varies
# between Unicode versions may go unmatched.


def _fold(s: str) -> str:
    """Lower-case and strip accents, as uncased WordPiece vocabularies do."""
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")


def _is_ws(ch: str) -> bool:
    """Whitespace as the Rust BERT normaliser sees it (Python's isspace also counts some controls;
    the Python BERT tokenizer leaves out the line and paragraph separators)."""
    return ch in " \t\n\r" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _dropped(ch: str) -> bool:
    """Characters BERT-style normalisers delete: controls, format characters, combining marks."""
    cat = unicodedata.category(ch)
    return (cat in ("Cc", "Cf", "Co", "Cs", "Mn") or ch == "\ufffd") and not _is_ws(ch)


def _softness(ch: str) -> int:
    """0, or how a tokenizer most likely treats a character it may drop, keep or split on
    depending on its Unicode tables: 1, dropped (as by Python's: non-spacing marks, format and
    private-use characters); 2, kept (other marks, characters unassigned in Python's tables)."""
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Cf", "Co", "Cs"):
        return 1
    return 2 if cat in ("Mc", "Me", "Cn") else 0


@lru_cache(maxsize=1 << 16)
def _char_folded(ch: str) -> tuple[str, int]:
    """What ``ch`` folds to (" " for whitespace, "" if dropped) and its softness."""
    if _is_ws(ch):
        return " ", 0
    if softness := _softness(ch):
        return _fold(ch) or ch, softness
    return ("" if _dropped(ch) else _fold(ch)), 0


def _folded(s: str) -> tuple[str, list[int], list[int]]:
    """``s`` lower-cased and accent-stripped character by character (so "Σ" folds the same alone
    and inside a word), whitespace as " ", controls removed; with each character's softness and
    original index."""
    chars: list[str] = []
    soft: list[int] = []
    origin: list[int] = []
    for i, ch in enumerate(s):
        f, softness = _char_folded(ch)
        if len(f) == 1:
            chars.append(f)
            soft.append(softness)
            origin.append(i)
        else:
            chars.extend(f)
            soft.extend([softness] * len(f))
            origin.extend([i] * len(f))
    return "".join(chars), soft, origin


def _match_piece(folded: str, soft: list[int], pos: int, piece: str, piece_soft: list[int]):
    """(first, last + 1, next position) of ``piece`` in ``folded`` from ``pos``, skipping soft
    characters on either side that the other lacks (before the first match, only those most
    likely dropped); ``None`` if it does not match there."""
    m, k, p = len(folded), 0, pos
    first = last = None
    while k < len(piece):
        if p < m and folded[p] == piece[k]:
            if first is None:
                first = p
            last = p
            p += 1
            k += 1
        elif piece_soft[k]:
            k += 1
        elif p < m and (soft[p] == 1 or soft[p] and first is not None):
            p += 1
        else:
            return None
    if first is None:  # nothing but soft characters: a zero-width token
        return pos, pos, pos
    return first, last + 1, p


def offsets_from_wordpieces(
    text: str, tokens: Sequence[str], unk_token: str = "[UNK]", max_steps: int | None = None
) -> list[tuple[int, int]]:
    """Recover each WordPiece token's character offsets in ``text`` (``##`` marks continuations).

    Known tokens are matched, lower-cased and accent-stripped, against a folded copy of the text
    that remembers each character's original index, so cased and uncased vocabularies both work,
    and a character that decomposes into several tokens (Hangul syllables) gives each of them its
    offsets. An ``[UNK]`` covers part of a run of text without whitespace: the pre-token Python's
    tables expect if the tokens after it then fit, else the span that lets them (the tokenizer's
    tables may split elsewhere). Soft characters (see ``_softness``) may go unmatched. The first
    alignment found that spells out the whole text is taken. Raises ``ValueError`` if there is
    none, naming the furthest token that cannot be placed, or if the search takes more than
    ``max_steps`` steps (by default, proportional to the lengths).
    """
    folded, soft, origin = _folded(text)
    m, n = len(folded), len(tokens)
    pieces = []
    for tok in tokens:
        cont = tok.startswith("##") and len(tok) > 2
        if tok == unk_token:
            pieces.append((None, None, False))
        else:
            p, p_soft, _ = _folded(tok[2:] if cont else tok)
            pieces.append((p.replace(" ", ""), [s for s, c in zip(p_soft, p) if c != " "], cont))

    def skip_spaces(pos: int) -> int:
        while pos < m and folded[pos] == " ":
            pos += 1
        return pos

    def trimmed(s: int, e: int) -> tuple[int, int]:
        """An ``[UNK]``'s span less the soft characters at its edges that were most likely
        dropped (tokenizers leave the characters they drop out of a token's offsets)."""
        while e - s > 1 and soft[s] == 1:
            s += 1
        while e - s > 1 and soft[e - 1] == 1:
            e -= 1
        return s, e

    def may_split(end: int) -> bool:
        """Whether a tokenizer's tables may end a pre-token at folded position ``end``: at
        whitespace, or beside (dropped characters aside) a character that is or once was
        punctuation, or is ideographic."""
        before, after = end - 1, end
        while before > 0 and soft[before] == 1:
            before -= 1
        while after < m and soft[after] == 1:
            after += 1
        return (
            after >= m
            or folded[after] == " "
            or _maybe_punct(text[origin[before]])
            or _maybe_punct(text[origin[after]])
        )

    def unk_ends(pos: int):
        """Ends for an ``[UNK]`` from ``pos`` within its run: the expected one, then those where
        a tokenizer may split, then the rest, nearest first."""
        run_end = folded.find(" ", pos)
        run_end = m if run_end < 0 else run_end
        guess_orig = _pre_token_end(text, origin[pos])
        guess = pos + 1
        while guess < run_end and origin[guess] < guess_orig:
            guess += 1
        yield guess
        for plausible in (True, False):
            for d in range(1, run_end - pos):
                for end in (guess + d, guess - d):
                    if pos < end <= run_end and may_split(end) == plausible:
                        yield end

    def moves(i: int, pos: int):
        """(next token, next position, folded span or None) for token ``i`` at ``pos``
        (``i == n``: past the last token, where only soft characters may be left), preferred
        first."""
        piece, piece_soft, cont = pieces[i] if i < n else ("", [], False)
        if not cont:
            pos = skip_spaces(pos)
        if pos < m and soft[pos] == 1:  # most likely dropped: first try without it
            yield i, pos + 1, None
        if i == n:
            pass
        elif piece is not None:
            hit = _match_piece(folded, soft, pos, piece, piece_soft)
            if hit is not None:
                yield i + 1, hit[2], (hit[0], hit[1])
        elif pos < m:
            ends = unk_ends(pos)
            guess = next(ends)
            yield i + 1, guess, trimmed(pos, guess)
            if soft[pos] == 2:  # most likely kept, but perhaps not
                yield i, pos + 1, None
            for end in ends:
                yield i + 1, end, trimmed(pos, end)
            return
        if pos < m and soft[pos] == 2:
            yield i, pos + 1, None

    def unplaced(i: int, pos: int) -> str:
        where = origin[skip_spaces(pos)] if skip_spaces(pos) < m else len(text)
        if i >= n:
            return f"the tokens end at {where} but the text goes on: {text[where : where + 20]!r}"
        return f"token {i} {tokens[i]!r} does not match the text at {where}: {text[where : where + 20]!r}"

    # A depth-first search over (token, position) states, preferred moves first, that remembers
    # the states from which the text cannot be spelled out.
    limit = max_steps if max_steps is not None else 20 * (m + n) + 1000
    dead: set[tuple[int, int]] = set()
    stack = [((0, 0), moves(0, 0))]
    spans: list[tuple[int, int] | None] = []  # spans[k]: the move from stack[k] to stack[k + 1]
    furthest, steps = (0, 0), 0
    while stack:
        steps += 1
        if steps > limit:
            raise ValueError(
                f"could not align {n} tokens with a text of {len(text)} characters in {limit} "
                f"steps; so far, {unplaced(*furthest)}"
            )
        state, it = stack[-1]
        if state[0] == n and skip_spaces(state[1]) == m:
            break
        step = next(it, None)
        if step is None:  # every move from here failed: back up
            dead.add(state)
            furthest = max(furthest, state)
            stack.pop()
            if stack:
                spans.pop()
            continue
        ni, npos, span = step
        if (ni, npos) in dead:
            continue
        spans.append(span)
        stack.append(((ni, npos), moves(ni, npos)))
    else:
        raise ValueError(unplaced(*furthest))
    offsets = []
    for s, e in filter(None, spans):
        if s == e:
            o = origin[s] if s < m else len(text)
            offsets.append((o, o))
        else:
            offsets.append((origin[s], origin[e - 1] + 1))
    return offsets


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    return (
        33 <= cp <= 47
        or 58 <= cp <= 64
        or 91 <= cp <= 96
        or 123 <= cp <= 126
        or unicodedata.category(ch).startswith("P")
    )


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _maybe_punct(ch: str) -> bool:
    """Punctuation, CJK, or a character some tokenizer's tables may take for either (symbols, some
    of which were once punctuation; ideographs outside Python's CJK ranges)."""
    return _is_punct(ch) or _is_cjk(ch) or unicodedata.category(ch)[0] == "S" or 0x20000 <= ord(ch) <= 0x3FFFF


def _pre_token_end(text: str, start: int) -> int:
    """End of the pre-token (word, single punctuation or single CJK character) that BERT's basic
    pre-tokenisation by Python's Unicode tables starts at ``text[start]``."""
    ch = text[start]
    if _is_punct(ch) or _is_cjk(ch):
        return start + 1
    j = start + 1
    while j < len(text) and not (_is_ws(text[j]) or _is_punct(text[j]) or _is_cjk(text[j])):
        j += 1
    return j


def bio_for_given_tokens(
    text: str, tokens: Sequence[str], privacy_mask: Sequence[dict], unk_token: str = "[UNK]"
) -> list[str]:
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


def repair(tags: list[str]) -> list[str]:
    """An ``I-X`` that does not continue an X entity starts one (``B-X``)."""
    out, prev = [], "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out
