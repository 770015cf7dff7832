"""Fitting a conversation into a model's context window, measured in its own tokens."""

from __future__ import annotations

from confidant.kit.errors import InvalidInput
from confidant.llm.base import ChatMessage, ChatModel


def fit_context(
    model: ChatModel, system_prompt: str, history: list[ChatMessage], reserve: int
) -> list[ChatMessage]:
    """System prompt + the newest turns of `history` that fit, leaving `reserve` tokens
    for the reply. The system prompt and the newest message are always kept."""
    budget = model.context_window - reserve
    system: ChatMessage = {"role": "system", "content": system_prompt}
    # Tokenizing every candidate conversation would cost one templating per turn; instead
    # sum each message's (over-estimated) cost, newest first, then check the result once.
    used = model.count_tokens([system])
    count = 0
    for cost in reversed(model.tokens_each(history)):
        if used + cost > budget:
            break
        used += cost
        count += 1
    while count and model.count_tokens([system, *history[len(history) - count :]]) > budget:
        count -= 1
    kept = history[len(history) - count :]
    if not kept and history:
        raise InvalidInput(
            "The message is too long for the model's context window",
            details=[{"field": "content", "message": f"over {budget} tokens for {model.name}"}],
        )
    while len(kept) > 1 and kept[0]["role"] == "assistant":
        kept.pop(0)  # chat templates expect the conversation to open with the user
    return [system, *kept]
