"""Characters <-> token ids, plus the one special token, BOS.

The vocabulary is the sorted set of characters in the documents. BOS ("beginning of
sequence") gets the last id and marks both where a name starts and where it ends.
"""

from collections.abc import Iterable

BOS_SYMBOL = "◆"  # how BOS is drawn on screen; it never appears in the data


class Tokenizer:
    def __init__(self, chars: Iterable[str]):
        self.chars = sorted(set(chars))
        self.bos = len(self.chars)
        self.vocab_size = len(self.chars) + 1
        self._id_of = {ch: i for i, ch in enumerate(self.chars)}

    @classmethod
    def from_documents(cls, docs: Iterable[str]) -> "Tokenizer":
        return cls(ch for doc in docs for ch in doc)

    def encode(self, text: str) -> list[int]:
        """Ids of the characters, without BOS. Raises KeyError on an unknown character."""
        return [self._id_of[ch] for ch in text]

    def encode_document(self, doc: str) -> list[int]:
        """A document as the model trains on it: BOS, its characters, BOS."""
        return [self.bos, *self.encode(doc), self.bos]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[i] for i in ids if i != self.bos)

    def symbol(self, token: int) -> str:
        """A printable label for one token, BOS included."""
        return BOS_SYMBOL if token == self.bos else self.chars[token]

    def unknown_chars(self, text: str) -> list[str]:
        """Characters of `text` the model has never seen, in order of first appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self._id_of))
