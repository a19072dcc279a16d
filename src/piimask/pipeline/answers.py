"""From an LLM answer to a record: clean it, detect refusals and preambles, fill it."""

from __future__ import annotations

import re

from ..core.fill import PlaceholderError, fill, find_placeholders

REFUSAL = re.compile(
    r"^\s*(i('m| am)? (sorry|unable|not able)|i can(no|')t|i cannot|i won't|as an ai|as a language model|"
    r"unfortunately,? i|i must (decline|refuse)|i do not feel comfortable|i'm not comfortable)",
    re.I,
)
REFUSAL_ANYWHERE = re.compile(
    r"\b(as an ai( language model)?|i cannot (generate|create|provide|help)|"
    r"i can't (generate|create|provide|help)|against my (guidelines|policy))\b",
    re.I,
)
PREAMBLE = re.compile(
    r"^\s*(here('s| is| are)\b|sure[,!.]|certainly[,!.]|of course[,!.]|okay[,!.]|below is|the following is|"
    r"this (text|example|email|message) (is|uses))",
    re.I,
)
# the same in French, German, Italian and Dutch: an LLM asked for a text in one of these languages
# may refuse or introduce its answer in it
REFUSAL_OTHER = re.compile(
    r"^\s*(je suis d[ée]sol[ée]e?,? (mais )?je ne (peux|suis pas en mesure)|je ne peux pas (g[ée]n[ée]rer|cr[ée]er|fournir|[ée]crire)|"
    r"es tut mir leid,? (aber )?ich kann|ich kann (diese anfrage|das|dies) nicht|"
    r"mi dispiace,? (ma )?non posso|non posso (generare|creare|fornire|scrivere)|"
    r"het spijt me,? (maar )?ik kan|sorry,? (maar )?ik kan (dit|dat|deze|geen)|ik kan (dit|dat) niet)",
    re.I,
)
REFUSAL_OTHER_ANYWHERE = re.compile(
    r"\b(en tant qu'(ia|intelligence artificielle|assistant)|als (ki|ki-sprachmodell|"
    r"sprachmodell)\b|in quanto (ia|intelligenza artificiale|modello linguistico)|"
    r"als (ai|ai-taalmodel|taalmodel)\b)",
    re.I,
)
PREAMBLE_OTHER = re.compile(
    r"^\s*(voici (un|une|le|la|l'|votre) ?(texte|exemple|e-?mail|courriel|message|notification|document|publication)|"
    r"bien s[ûu]r[,!.]|certainement[,!.]|"
    r"hier (ist|sind) (ein|eine|der|die|das|ihr|ihre) ?(text|beispiel|e-?mail|nachricht|dokument|beitrag)|gerne[,!.]|nat[üu]rlich[,!.]|"
    r"ecco (un|una|il|la|l'|lo) ?(testo|esempio|e-?mail|messaggio|documento|post)|certo[,!.]|"
    r"hier is (een|de|het|uw|je) ?(tekst|voorbeeld|e-?mail|bericht|document)|natuurlijk[,!.]|zeker[,!.])",
    re.I,
)
_FENCE = re.compile(r"^```[a-z]*\s*\n?|\n?```\s*$")


def clean_answer(text: str) -> str:
    """Strip whitespace, code fences and one pair of wrapping quotes."""
    t = _FENCE.sub("", text.strip()).strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'“”":
        t = t[1:-1].strip()
    if t.startswith("“") and t.endswith("”"):
        t = t[1:-1].strip()
    return t


def refused(text: str) -> bool:
    """True when an answer is a refusal, in English or in one of the other languages piimask writes."""
    return any(p.search(text) for p in (REFUSAL, REFUSAL_ANYWHERE, REFUSAL_OTHER, REFUSAL_OTHER_ANYWHERE))


def introduced(text: str) -> bool:
    """True when an answer talks about the text before giving it ("Here is...", "Voici un e-mail...")."""
    return bool(PREAMBLE.search(text) or PREAMBLE_OTHER.search(text))


def answer_problems(text: str) -> list[str]:
    """Reason codes for an answer that must not become a record (empty list: usable)."""
    if not text.strip():
        return ["empty_answer"]
    reasons = []
    if refused(text):
        reasons.append("refusal")
    elif introduced(text):
        reasons.append("preamble")
    holders = find_placeholders(text)
    if not holders:
        reasons.append("no_placeholders")
    unknown = sorted({h.raw for h in holders if not h.known})
    if unknown:
        reasons.append("unknown_label:" + ",".join(unknown))
    return reasons


def fill_answer(text: str, values, settle=None, brackets: tuple[str, str] = ("", "")) -> tuple[dict | None, list[str]]:
    """(filled fields, reasons): fields are source_text, target_text, privacy_mask; ``settle``
    and ``brackets`` as in ``core.fill.fill``."""
    reasons = answer_problems(text)
    if reasons:
        return None, reasons
    try:
        f = fill(text, values, settle, brackets)
    except PlaceholderError as exc:  # answer_problems found these already; kept for safety
        return None, ["unknown_label:" + ",".join(exc.unknown)]
    return {"source_text": f.source_text, "target_text": f.target_text, "privacy_mask": f.privacy_mask}, []
