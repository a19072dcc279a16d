"""Web demo (optional extra ``piimask[app]``): text in, masked text and highlighted entities out,
and optionally the LLM round trip (masked prompt, answer, restored answer).

    python -m piimask.app --model outputs/default/model
"""
from __future__ import annotations

import argparse
from typing import Callable

from .mask import Masker, echo_llm, unmask


def run(masker: Masker, text: str, style: str = "[LABEL_n]", call_llm: bool = False,
        llm: Callable[[str], str] | None = None) -> tuple[str, list[tuple[str, str | None]], str, str]:
    """The demo's function: (masked text, highlighted segments, LLM answer, restored answer).

    Highlighted segments are (text, label or None) pairs, the shape Gradio's HighlightedText takes.
    """
    res = masker.mask(text or "", style)
    segments, cursor = [], 0
    for e in res.entities:
        if e["start"] > cursor:
            segments.append((text[cursor:e["start"]], None))
        segments.append((text[e["start"]:e["end"]], e["label"]))
        cursor = e["end"]
    if cursor < len(text or ""):
        segments.append((text[cursor:], None))
    answer = restored = ""
    if call_llm:
        answer = (llm or echo_llm)(res.masked_text)
        restored = unmask(answer, res.mapping)
    return res.masked_text, segments, answer, restored


def build_demo(masker: Masker, llm: Callable[[str], str] | None = None):
    try:
        import gradio as gr
    except ImportError as exc:
        raise ImportError("the web demo needs Gradio: pip install 'piimask[app]'") from exc
    from .mask import STYLES

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
        btn.click(lambda t, s, c: run(masker, t, s, c, llm), [text, style, call], [masked, hl, answer, restored])
    return demo


def main() -> None:
    p = argparse.ArgumentParser(description="piimask web demo")
    p.add_argument("--model", default="outputs/default/model")
    p.add_argument("--bedrock-model", help="call this Bedrock model (needs AWS credentials); default: offline echo")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--port", type=int, default=7860)
    a = p.parse_args()
    llm = None
    if a.bedrock_model:
        from .mask import bedrock_llm

        llm = bedrock_llm(a.bedrock_model, a.region)
    build_demo(Masker.from_pretrained(a.model), llm).launch(server_port=a.port)


if __name__ == "__main__":
    main()
