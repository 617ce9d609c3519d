"""Small helpers for the sentences the app writes around names people typed."""

SENTENCE_ENDS = (".", "!", "?", "…")


def end_sentence(text: str) -> str:
    """Close a sentence that ends with a name: "planned with Theo B." not "Theo B..".

    A name ending in an initial, an abbreviation or "!" already closes the sentence."""
    text = text.rstrip()
    return text if text.endswith(SENTENCE_ENDS) else f"{text}."
