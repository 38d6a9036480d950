#!/usr/bin/env python3
"""Check that a running llama-server serves all-MiniLM-L6-v2 embeddings correctly.

Usage:
    check_minilm_gguf.py --server http://127.0.0.1:18080 [--reference MODEL_DIR]

Starts nothing: point it at a llama-server already running with `--embeddings`
on the GGUF written by convert_minilm_gguf.py. It checks that
  * vectors have 384 dimensions;
  * a paraphrase pair is clearly closer than an unrelated pair (margin 0.3);
  * with --reference, each vector matches a pure-numpy forward pass of the
    original safetensors weights (HF BertTokenizer, mean pooling, L2 norm) to
    cosine >= 0.99. That proves the conversion (names, layout, tokenizer) exact.
The default check needs only the standard library; --reference also needs
numpy and safetensors. Exit status 0 when every check passes.
"""

import argparse
import json
import math
import sys
import unicodedata
import urllib.request
from pathlib import Path

ANCHOR = "A man is playing a guitar."
PARAPHRASE = "Someone is playing a guitar."
UNRELATED = "The stock market fell sharply today."
EXTRA = ["Café owners in Zürich don't open before 9:30 — really?",
         "Unbelievably, the tokenizer handles 12345 and hyphen-ated words."]
DIMENSION, MARGIN, MIN_AGREEMENT = 384, 0.3, 0.99


def embed(server: str, sentences: list[str]) -> list[list[float]]:
    body = json.dumps({"input": sentences}).encode()
    request = urllib.request.Request(server.rstrip("/") + "/v1/embeddings", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = json.load(response)["data"]
    return [item["embedding"] for item in sorted(data, key=lambda d: d["index"])]


def cosine(a, b) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


# --- reference: HF BertTokenizer (uncased) + BERT encoder in numpy ------------

def is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese(cp: int) -> bool:
    ranges = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
    return any(lo <= cp <= hi for lo, hi in ranges)


def basic_tokenize(text: str) -> list[str]:
    """BasicTokenizer: clean, split CJK, lowercase, strip accents, split punctuation."""
    chars = []
    for ch in text:
        cp, cat = ord(ch), unicodedata.category(ch)
        if cp == 0 or cp == 0xFFFD or (cat.startswith("C") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or cat == "Zs":
            chars.append(" ")
        elif is_chinese(cp):
            chars.append(f" {ch} ")
        else:
            chars.append(ch)
    words = []
    for word in "".join(chars).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(c for c in word if unicodedata.category(c) != "Mn")
        current = ""
        for ch in word:
            if is_punctuation(ch):
                words += [current, ch] if current else [ch]
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(words: list[str], vocab: dict[str, int]) -> list[int]:
    """Greedy longest-match-first; an unsplittable word becomes [UNK]."""
    ids = [vocab["[CLS]"]]
    for word in words:
        pieces, start = [], 0
        while start < len(word) and len(word) <= 100:
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = None
                break
            pieces.append(vocab[piece])
            start = end
        ids += pieces if pieces else [vocab["[UNK]"]]
    return ids + [vocab["[SEP]"]]


class ReferenceModel:
    def __init__(self, model_dir: Path):
        import numpy as np
        from safetensors.numpy import load_file
        self.np = np
        self.w = load_file(str(model_dir / "model.safetensors"))
        self.config = json.loads((model_dir / "config.json").read_text())
        lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
        self.vocab = {token: i for i, token in enumerate(lines)}
        self.erf = np.vectorize(math.erf)

    def layer_norm(self, x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        eps = self.config["layer_norm_eps"]
        return (x - mean) / self.np.sqrt(var + eps) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def linear(self, x, prefix):
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    def embed(self, text: str):
        np, w = self.np, self.w
        ids = wordpiece(basic_tokenize(text), self.vocab)
        n, heads = len(ids), self.config["num_attention_heads"]
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self.layer_norm(x, "embeddings.LayerNorm")
        for i in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q, k, v = (self.linear(x, p + "attention.self." + m).reshape(n, heads, -1).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(1, 0, 2).reshape(n, -1)
            x = self.layer_norm(x + self.linear(context, p + "attention.output.dense"),
                                p + "attention.output.LayerNorm")
            h = self.linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + self.erf(h / math.sqrt(2.0)))  # exact GELU, as in HF
            x = self.layer_norm(x + self.linear(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).tolist(), len(ids)


def find_model_dir(root: Path) -> Path:
    for depth in range(4):
        hits = sorted(root.glob("/".join(["*"] * depth + ["model.safetensors"])))
        if hits:
            return hits[0].parent
    raise SystemExit(f"check_minilm_gguf: error: no model.safetensors under {root}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="llama-server base URL, e.g. http://127.0.0.1:18080")
    parser.add_argument("--reference", type=Path, metavar="MODEL_DIR",
                        help="also compare with a numpy forward pass of these safetensors weights")
    args = parser.parse_args()

    sentences = [ANCHOR, PARAPHRASE, UNRELATED] + EXTRA
    try:
        vectors = embed(args.server, sentences)
    except OSError as error:
        print(f"check_minilm_gguf: error: cannot reach {args.server}: {error}", file=sys.stderr)
        return 1
    failures = []
    dims = {len(v) for v in vectors}
    print(f"dimension: {sorted(dims)}")
    if dims != {DIMENSION}:
        failures.append(f"dimension {sorted(dims)} != {DIMENSION}")
    close, far = cosine(vectors[0], vectors[1]), cosine(vectors[0], vectors[2])
    print(f"cosine paraphrase {close:.4f}, unrelated {far:.4f}, margin {close - far:.4f}")
    if close - far < MARGIN:
        failures.append(f"paraphrase margin {close - far:.4f} < {MARGIN}")

    if args.reference:
        model = ReferenceModel(find_model_dir(args.reference))
        for sentence, served in zip(sentences, vectors):
            expected, n_tokens = model.embed(sentence)
            agreement = cosine(served, expected)
            print(f"reference cosine {agreement:.6f} ({n_tokens} tokens) {sentence!r}")
            if agreement < MIN_AGREEMENT:
                failures.append(f"reference cosine {agreement:.5f} < {MIN_AGREEMENT} for {sentence!r}")

    for failure in failures:
        print(f"FAIL: {failure}")
    print("OK" if not failures else f"{len(failures)} check(s) failed")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
