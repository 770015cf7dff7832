"""Fitting a conversation into a model's context window, measured in its own tokens."""

from __future__ import annotations

from confidant.errors import InvalidInput
from confidant.llm.base import ChatMessage, ChatModel


def fit_context(
    model: ChatModel, system_prompt: str, history: list[ChatMessage], reserve: int
) -> list[ChatMessage]:
    """System prompt + the newest turns of `history` that fit, leaving `reserve` tokens
    for the reply. The system prompt and the newest message are always kept."""
    budget = model.context_window - reserve
    system: ChatMessage = {"role": "system", "content": system_prompt}

    def fits(count: int) -> bool:
        return model.count_tokens([system, *history[len(history) - count :]]) <= budget

    # Binary search for the most recent turns that fit: tokenizing is the costly part,
    # and this needs log2(n) tokenizations where growing one turn at a time needs n.
    low, high = 0, len(history)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    kept = history[len(history) - low :]
    if not kept and history:
        raise InvalidInput(
            "The message is too long for the model's context window",
            details=[{"field": "content", "message": f"over {budget} tokens for {model.name}"}],
        )
    while len(kept) > 1 and kept[0]["role"] == "assistant":
        kept.pop(0)  # chat templates expect the conversation to open with the user
    return [system, *kept]
