"""A row's generated text: decoded token by token (a token that ends mid-character waits for
the next), cut at a stop string and held back while it could still start one."""

from __future__ import annotations


class StopText:
    """The text of one row so far: cut at a stop string, and held back while it could still start one."""

    def __init__(self, stop: tuple[str, ...]):
        self.stop = stop
        self.hold = max((len(s) for s in stop), default=1) - 1
        self.sent = 0

    def step(self, text: str, final: bool) -> tuple[str, bool]:
        """(the new piece to send, whether a stop string ended the text)."""
        hits = [i for i in (text.find(s) for s in self.stop) if i >= 0]
        stopped = bool(hits)
        if stopped:
            text = text[: min(hits)]
        end = len(text) if stopped or final else max(len(text) - self.hold, self.sent)
        while not (stopped or final) and end > self.sent and text[end - 1] == "\ufffd":
            end -= 1  # half of a character made of several tokens: wait for the rest
        piece, self.sent = text[self.sent : end], max(end, self.sent)
        return piece, stopped


class Detokenizer:
    """The text of a growing answer, decoding only its last few tokens at each step (decoding
    the whole answer every step costs time quadratic in its length)."""

    def __init__(self, tokenizer):
        self.tokenizer, self.ids, self.text = tokenizer, [], ""
        self.prefix = self.read = 0  # ids[prefix:read] is decoded into the end of text already

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def add(self, token: int) -> None:
        self.ids.append(token)
        before, after = self._decode(self.ids[self.prefix : self.read]), self._decode(self.ids[self.prefix :])
        if len(after) > len(before) and not after.endswith("\ufffd"):  # a whole character more
            self.text += after[len(before) :]
            self.prefix, self.read = self.read, len(self.ids)

    def value(self, final: bool = False) -> str:
        """The text so far; ``final`` adds what is still waiting for the rest of a character."""
        if not final or self.read == len(self.ids):
            return self.text
        before, after = self._decode(self.ids[self.prefix : self.read]), self._decode(self.ids[self.prefix :])
        return self.text + after[len(before) :]
