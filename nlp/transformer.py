"""Optional transformer backend for the entity tagger (`pip install -e ".[transformers]"`).

Fine-tunes a token classifier from a local checkpoint folder the user has
(PhoBERT, XLM-R …; nothing is downloaded: `local_files_only`) on the same
`(words, BIO tags)` sentences as the CRF. Words are tiendo's tokens, with the
spaces inside multi-syllable words written as "_" (PhoBERT's convention for
segmented text); the first sub-word of a word carries its label. Long cells
are cut into windows of `WINDOW` words. The model folder is what
`save_pretrained` writes (safetensors, no pickle) plus `config.json`'s
`tiendo` entry.

Without a checkpoint (tests), a tiny randomly initialised BERT and a
word-level vocabulary built from the training words stand in.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from nlp.linear import ModelError, read_model_json

WINDOW = 128
"""Words per window: cells longer than this are tagged window by window."""


def _pieces(words) -> list[str]:
    return [w.text.replace(" ", "_") for w in words]


def _windows(n: int) -> list[tuple[int, int]]:
    return [(i, min(i + WINDOW, n)) for i in range(0, max(n, 1), WINDOW)]


class TransformerTagger:
    """A fine-tuned token classifier with the `tag_words` interface of the CRF tagger."""

    template: tuple[str, ...] = ()

    def __init__(self, model, tokenizer, labels: list[str]) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.labels = labels

    @classmethod
    def train(
        cls,
        sentences: Sequence[tuple[Sequence, Sequence[str]]],
        folder: str | Path,
        base_model: str | Path | None = None,
        epochs: int = 3,
        learning_rate: float = 5e-5,
        batch_size: int = 8,
        tiny: dict | None = None,
        seed: int = 0,
    ) -> TransformerTagger:
        """Fine-tune on `(words, tags)` sentences; save the model into `folder`.

        Takes the sentences (as `nlp.ner.training_sentences` gives them), the
        output folder, a local checkpoint folder (or None for a tiny random
        BERT whose size `tiny` may set), epochs, learning rate and batch size.
        Returns the trained tagger.
        """
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        torch.manual_seed(seed)
        random.seed(seed)
        labels = sorted({t for _, tags in sentences for t in tags} | {"O"})
        label_ids = {label: i for i, label in enumerate(labels)}
        id2label = dict(enumerate(labels))
        if base_model is not None:
            base = Path(base_model)
            if not base.is_dir():
                raise ModelError(f"{base}: no such checkpoint folder; give a local model folder")
            tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
            model = AutoModelForTokenClassification.from_pretrained(
                base,
                local_files_only=True,
                num_labels=len(labels),
                id2label=id2label,
                label2id=label_ids,
                ignore_mismatched_sizes=True,
            )
        else:
            tokenizer, model = _tiny(sentences, labels, tiny or {})
        examples = []
        for words, tags in sentences:
            pieces = _pieces(words)
            for start, end in _windows(len(pieces)):
                if end > start:
                    examples.append(
                        _encode(
                            tokenizer, pieces[start:end], [label_ids[t] for t in tags[start:end]]
                        )
                    )
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
        model.train()
        for _ in range(epochs):
            random.shuffle(examples)
            for i in range(0, len(examples), batch_size):
                batch = _collate(tokenizer, examples[i : i + batch_size])
                loss = model(**batch).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        model.eval()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        (folder / "tiendo.json").write_text(
            json.dumps({"kind": "tiendo.transformer-ner", "labels": labels, "window": WINDOW}),
            encoding="utf-8",
        )
        return cls(model, tokenizer, labels)

    @classmethod
    def load(cls, folder: str | Path) -> TransformerTagger:
        """Load a folder written by `train` (safetensors weights, no pickle)."""
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        folder = Path(folder)
        meta = read_model_json(folder / "tiendo.json")
        model = AutoModelForTokenClassification.from_pretrained(
            folder, local_files_only=True, use_safetensors=True
        )
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model.eval()
        return cls(model, tokenizer, meta["labels"])

    def spans(self, words: Sequence) -> list[tuple[int, int, str]]:
        """Return the `(start, end, label)` character spans found in prepared words."""
        from nlp.corpus import bio_to_spans

        return bio_to_spans([(w.start, w.end) for w in words], self.tag_words(words))

    def tag_words(self, words: Sequence) -> list[str]:
        """Return the BIO tag of each word."""
        import torch

        pieces = _pieces(words)
        tags: list[str] = []
        for start, end in _windows(len(pieces)):
            if end <= start:
                continue
            encoded = self.tokenizer(
                pieces[start:end], is_split_into_words=True, truncation=True, return_tensors="pt"
            )
            with torch.no_grad():
                logits = self.model(**encoded).logits[0]
            best = logits.argmax(-1).tolist()
            seen: dict[int, str] = {}
            for position, word in enumerate(encoded.word_ids()):
                if word is not None and word not in seen:
                    seen[word] = self.labels[best[position]]
            tags.extend(seen.get(i, "O") for i in range(end - start))
        return _repair(tags)


def _repair(tags: list[str]) -> list[str]:
    """Turn an I- that follows nothing of its label into a B-."""
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and (i == 0 or out[-1][2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out


def _encode(tokenizer, pieces: list[str], label_ids: list[int]) -> dict:
    encoded = tokenizer(pieces, is_split_into_words=True, truncation=True)
    labels, seen = [], set()
    for word in encoded.word_ids():
        if word is None or word in seen:
            labels.append(-100)
        else:
            seen.add(word)
            labels.append(label_ids[word])
    return {
        "input_ids": encoded["input_ids"],
        "attention_mask": encoded["attention_mask"],
        "labels": labels,
    }


def _collate(tokenizer, examples: list[dict]):
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    pad = tokenizer.pad_token_id or 0
    batch = {"input_ids": [], "attention_mask": [], "labels": []}
    for e in examples:
        gap = width - len(e["input_ids"])
        batch["input_ids"].append(e["input_ids"] + [pad] * gap)
        batch["attention_mask"].append(e["attention_mask"] + [0] * gap)
        batch["labels"].append(e["labels"] + [-100] * gap)
    return {k: torch.tensor(v) for k, v in batch.items()}


def _tiny(sentences, labels: list[str], size: dict):
    """A tiny random BERT and a word-level tokenizer over the training words (tests)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    words = sorted({p for sentence, _ in sentences for p in _pieces(sentence)})
    vocab = {token: i for i, token in enumerate(special + words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=size.get("hidden_size", 32),
        num_hidden_layers=size.get("layers", 1),
        num_attention_heads=size.get("heads", 2),
        intermediate_size=size.get("intermediate_size", 64),
        max_position_embeddings=WINDOW + 8,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    return tokenizer, BertForTokenClassification(config)
