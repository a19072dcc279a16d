"""Web demo (optional extra ``piimask[app]``): text in, masked text and highlighted entities out,
and optionally the LLM round trip (masked prompt, answer, restored answer).

    python -m piimask.runtime.app --model outputs/default/model [--auth user:password] [--share]

Served on localhost only and never shared on a public Gradio link unless ``--share`` is given
(Gradio would otherwise share by itself on Kaggle, Colab and SageMaker); ``--auth`` (or
``PIIMASK_APP_AUTH=user:password``) asks for a login. Input over ``--max-chars`` is refused with
a message.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from .llm import echo_llm
from .mask import InputError, Masker, check_text, unmask
from .predict import FAST_HELP, tokenizer_safe

DEFAULT_MAX_CHARS = 100_000


def run(
    masker: Masker,
    text: str | None,
    style: str = "[LABEL_n]",
    call_llm: bool = False,
    llm: Callable[[str], str] | None = None,
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> tuple[str, list[tuple[str, str | None]], str, str]:
    """The demo's function: (masked text, highlighted segments, LLM answer, restored answer).

    Highlighted segments are (text, label or None) pairs, the shape Gradio's HighlightedText takes.
    An empty box is empty text; anything else that is not text, or is too long, is ``InputError``.
    """
    text = check_text("" if text is None else text, max_chars)
    res = masker.mask(text, style)
    segments, cursor = [], 0
    for e in res.entities:
        if e["start"] > cursor:
            segments.append((text[cursor : e["start"]], None))
        segments.append((text[e["start"] : e["end"]], e["label"]))
        cursor = e["end"]
    if cursor < len(text):
        segments.append((text[cursor:], None))
    answer = restored = ""
    if call_llm:
        answer = (llm or echo_llm)(res.masked_text)
        restored = unmask(answer, res.mapping)
    return res.masked_text, segments, answer, restored


def build_demo(masker: Masker, llm: Callable[[str], str] | None = None, max_chars: int | None = DEFAULT_MAX_CHARS):
    try:
        import gradio as gr
    except ImportError as exc:
        raise ImportError("the web demo needs Gradio: pip install 'piimask[app]'") from exc
    from .mask import STYLES

    def on_click(t, s, c):
        try:
            masked_text, segments, answer, restored = run(masker, t, s, c, llm, max_chars)
        except InputError as exc:  # shown to the user, not a stack trace
            raise gr.Error(str(exc)) from None
        # a lone surrogate cannot be sent to a browser as UTF-8: shown as U+FFFD (run() keeps it)
        return (
            tokenizer_safe(masked_text),
            [(tokenizer_safe(x), lab) for x, lab in segments],
            tokenizer_safe(answer),
            tokenizer_safe(restored),
        )

    with gr.Blocks(title="piimask") as demo:
        gr.Markdown("# piimask\nPaste a prompt: see what would reach the LLM, and the answer restored.")
        text = gr.Textbox(label="prompt", lines=8)
        style = gr.Radio(list(STYLES), value="[LABEL_n]", label="masking style")
        call = gr.Checkbox(label="send the masked prompt to the LLM", value=False)
        btn = gr.Button("Mask")
        masked = gr.Textbox(label="masked prompt (what the LLM sees)", lines=8)
        hl = gr.HighlightedText(label="entities")
        answer = gr.Textbox(label="LLM answer", lines=6)
        restored = gr.Textbox(label="answer with values restored", lines=6)
        btn.click(on_click, [text, style, call], [masked, hl, answer, restored])
    return demo


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); None when not given."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise ValueError("--auth / PIIMASK_APP_AUTH must look like user:password")
    return user, password


def launch_options(args) -> dict:
    """Arguments for ``demo.launch``: localhost, no public link unless asked, login if given."""
    return {
        "server_name": "127.0.0.1",
        "server_port": args.port,
        "share": bool(args.share),
        "auth": parse_auth(args.auth or os.environ.get("PIIMASK_APP_AUTH")),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="piimask web demo")
    p.add_argument("--model", default="outputs/default/model", help="local model folder")
    p.add_argument("--allow-hub", action="store_true", help="allow --model to be a hub id")
    p.add_argument(
        "--fast",
        action="store_true",
        help=FAST_HELP,
    )
    p.add_argument(
        "--threshold", type=float, default=None, help="PII-ness threshold (default: the model's masking.json)"
    )
    p.add_argument(
        "--max-chars", type=int, default=DEFAULT_MAX_CHARS, help=f"refuse longer input (default {DEFAULT_MAX_CHARS:,})"
    )
    p.add_argument("--bedrock-model", help="call this Bedrock model (needs AWS credentials); default: offline echo")
    p.add_argument("--region", default=None, help="AWS region (default: the AWS session's, e.g. AWS_REGION)")
    p.add_argument("--aws-profile", default="", help="AWS profile (default: the default credential chain)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="publish on a public gradio.live link (off by default)")
    p.add_argument("--auth", help="require this login, user:password (or set PIIMASK_APP_AUTH)")
    return p


def main(argv: list[str] | None = None) -> None:
    a = build_parser().parse_args(argv)
    llm = None
    if a.bedrock_model:
        from .llm import bedrock_llm

        llm = bedrock_llm(a.bedrock_model, a.region, profile=a.aws_profile)
    options = launch_options(a)
    masker = Masker.from_pretrained(
        a.model, allow_hub=a.allow_hub, score_threshold=a.threshold, max_chars=a.max_chars, fast=a.fast
    )
    build_demo(masker, llm, a.max_chars).launch(**options)


if __name__ == "__main__":
    main()
