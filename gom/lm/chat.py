"""One way to turn a question into a base's input: its chat template when it has one, plain text otherwise.

Training, cross-evaluation, routing quality, ``gom generate``/``gom ask`` and ``gom serve`` all
render through ``ChatFormat``: the dataset's prompt as the user turn (after an optional system
text and earlier turns), the response as the assistant turn ended by the template's
end-of-turn token, which is learned in training and stops generation. A base without a chat
template (the tiny one) gets ``None`` and keeps the plain prompt + response + EOS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gom.errors import GomError, first_line
from gom.templates import fields, render

_PROBE_USER, _PROBE_ANSWER = "Question?", "Answer."


@dataclass(frozen=True)
class ChatFormat:
    """A tokenizer's chat template with its end-of-turn token found."""

    tokenizer: object
    end_of_turn: str
    end_of_turn_id: int

    def messages(self, user: str, system: str | None = None, history: list[dict] | tuple = ()) -> list[dict]:
        head = [{"role": "system", "content": system}] if system is not None else []
        return [*head, *history, {"role": "user", "content": user}]

    def prompt(self, user: str, system: str | None = None, history: list[dict] | tuple = ()) -> str:
        """The text up to where the assistant's answer begins."""
        return self.tokenizer.apply_chat_template(
            self.messages(user, system, history), tokenize=False, add_generation_prompt=True
        )

    def answer(self, response: str) -> str:
        """The assistant turn after ``prompt``: the response and the end-of-turn token."""
        return response + self.end_of_turn


def chat_format(tokenizer, where: str = "the base") -> ChatFormat | None:
    """The tokenizer's ChatFormat, or None when it has no chat template; a GomError when the
    template ends an assistant turn with no special token (nothing a model could learn to stop on)."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    user = [{"role": "user", "content": _PROBE_USER}]
    try:
        prompt = tokenizer.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template([*user, {"role": "assistant", "content": _PROBE_ANSWER}], tokenize=False)
    except Exception as e:
        raise GomError(f"{where}: its chat template cannot be applied ({type(e).__name__}: {first_line(e)})") from None
    tail = full[full.rfind(_PROBE_ANSWER) + len(_PROBE_ANSWER) :] if _PROBE_ANSWER in full else ""
    special = sorted(
        (t for t in getattr(tokenizer, "all_special_tokens", []) if t and tail.lstrip().startswith(t)), key=len
    )
    if not full.startswith(prompt) or not special:
        raise GomError(
            f"{where}: its chat template ends the assistant's turn with {tail[:40]!r}, which begins with no special "
            "token of its tokenizer, so there is no end-of-turn token for a miniModel to learn or for generation "
            "to stop at; use a base whose tokenizer has one, or remove its chat_template to train on plain text"
        )
    token = special[-1]
    ids = tokenizer.convert_tokens_to_ids([token])
    return ChatFormat(tokenizer, token, int(ids[0]))


def stop_ids(tokenizer, generation_config=None) -> set[int]:
    """Every token id that ends an answer: EOS, the generation config's EOS ids and the end-of-turn token."""
    ends = getattr(generation_config, "eos_token_id", None) if generation_config is not None else None
    ids = {tokenizer.eos_token_id, *(ends if isinstance(ends, list) else [ends])}
    chat = chat_format(tokenizer)
    if chat is not None:
        ids.add(chat.end_of_turn_id)
    return ids - {None}


def format_prompt(template: str | None, prompt: str, raw: bool = False) -> str:
    """The user's text wrapped in a miniModel's training prompt template when that only uses {text}."""
    if raw or not template or set(fields(template, "prompt")) != {"text"}:
        return prompt
    return render(template, {"text": prompt})


def render_question(
    info: dict | None, chat: ChatFormat | None, text: str, raw: bool = False, history: list[dict] | tuple = ()
) -> str:
    """What a model is given for the question ``text``, as in training: the miniModel's prompt template
    (``info``: its gom.json; None for the plain base), then the chat template with its system text and
    the conversation's earlier turns (a system turn among them replaces the miniModel's). ``raw``: as is."""
    if raw:
        return text
    info = info or {}
    prompt = format_prompt(info.get("prompt"), text)
    if chat is None:
        return prompt
    own_system = any(turn["role"] == "system" for turn in history)
    return chat.prompt(prompt, None if own_system else info.get("system"), history)


_MARK = re.compile("(\ue000[0-9]+\ue001)")  # private-use characters: no template or tokenizer has them


def question_ids(
    tokenizer, info: dict | None, chat: ChatFormat | None, text: str, raw: bool = False, history=()
) -> tuple[str, list[int]]:
    """(``render_question``'s text, its token ids) where what the user wrote stays text: a special
    token's string in the question or an earlier turn ("hello <|endoftext|>") is tokenised as
    ordinary characters, never as the control token. Questions without one are tokenised whole,
    exactly as in training."""
    prompt = render_question(info, chat, text, raw, history)
    if raw:  # the caller wrote the template itself, control tokens included (as one gom server sends another)
        return prompt, tokenizer(prompt, add_special_tokens=False)["input_ids"]
    specials = [t for t in getattr(tokenizer, "all_special_tokens", []) if t]

    def hostile(value) -> bool:
        return isinstance(value, str) and any(t in value for t in specials)

    if not hostile(text) and not any(hostile(turn.get("content")) for turn in history):
        return prompt, tokenizer(prompt, add_special_tokens=False)["input_ids"]
    held: dict[str, str] = {}

    def mark(value):
        if not hostile(value):
            return value
        key = f"\ue000{len(held)}\ue001"
        held[key] = value
        return key

    marked = render_question(info, chat, mark(text), raw, [{**t, "content": mark(t.get("content"))} for t in history])
    ids: list[int] = []
    splitting, lock = _splitting(tokenizer)
    for piece in _MARK.split(marked):
        if piece in held:
            with lock:
                ids += splitting(held[piece], add_special_tokens=False, split_special_tokens=True)["input_ids"]
        elif piece:
            ids += tokenizer(piece, add_special_tokens=False)["input_ids"]
    return prompt, ids


_SPLITTING: dict[int, tuple] = {}


def _splitting(tokenizer):
    """A private copy of ``tokenizer`` for text with special-token strings, and its lock:
    split_special_tokens sets a flag on the (shared, Rust) tokenizer while it encodes, which
    requests encoding beside it on other threads would see."""
    import copy
    import threading

    key = id(tokenizer)
    if key not in _SPLITTING:
        _SPLITTING[key] = (tokenizer, copy.deepcopy(tokenizer), threading.Lock())
    return _SPLITTING[key][1], _SPLITTING[key][2]
