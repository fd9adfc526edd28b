#!/usr/bin/env python3
"""Goldens for the tokenizer tests, from Hugging Face `tokenizers`.

Writes into tests/fixtures/tokenizer/:
  smollm2/tokenizer.json, smollm2/tokenizer_config.json
      SmolLM2's tokenizer, exported from the GGUF's tokenizer.ggml.* metadata
      with transformers; its pre-tokenizer is set to what SmolLM2's own
      tokenizer.json has, Sequence[Digits(individual_digits), ByteLevel]
      (transformers' GGUF converter gives a plain ByteLevel, which differs,
      e.g. on "a  1").
  <family>.jsonl   one line per corpus string: {"text", "ids", "decoded"}
                   (ids with add_special_tokens=True; decoded = decode(ids))
  <family>_decode.jsonl   {"ids", "skip_special", "text"}: decode goldens,
                   including ids whose bytes are not valid UTF-8.
Families: smollm2, gpt2_bytelevel (SmolLM2's vocabulary behind GPT-2's plain
ByteLevel pre-tokenizer), llama3 (Llama 3.2 tokenizer), qwen2 (Qwen
tokenizer), the last two from scripts/fetch_test_assets.sh's cache.

Usage: python3 tools/reference/make_tokenizer_goldens.py [--gguf PATH] [--assets DIR]
"""
import argparse
import json
import os
import random
import shutil
import tempfile

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fixtures", "tokenizer")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<file_sep>",
            "<empty_output>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
            "<|start_header_id|>", "<|end_header_id|>", "<|python_tag|>",
            "<|reserved_special_token_5|>", "<think>", "</think>", "<tool_call>",
            "<|fim_prefix|>", "<|vision_start|>"]


def corpus():
    out = [
        "", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n\n", " \n ", "\t\n\t", "\v\f",
        "Hello world", "Hello, world!", " Hello", "  Hello", "Hello ", "Hello  ", "hello\nworld",
        "The quick brown fox jumps over the lazy dog.",
        "I'm here, you're there, he's gone, we've won, they'll come, I'd go, it'd not.",
        "I'M HERE, YOU'RE THERE, HE'S GONE, WE'VE WON, THEY'LL COME, I'D GO.",
        "don't DON'T Don'T dOn'T", "it'S it's IT's", "you'LL you'll You'Ll", "'s 't 're 've 'm 'll 'd",
        "'S 'T 'RE 'VE 'M 'LL 'D", "''", "'", "'''s", "' s", "rock 'n' roll", "'hello'", "\"quoted\"",
        "x'sy", "O'Neil's", "'ſ", "'ﬆ", "’s curly", "l'été", "'x", "'r", "'lL", "'Ll",
        "1", "12", "123", "1234", "12345", "123456789", "12345678901234567890", "3.14159",
        "1,000,000", "-42", "+7", "1e10", "0x1F", "2024-01-01", "10:30pm", " 1", "  1", "a 1",
        "a  1", "a   12", "x1y2z3", "123abc456", "abc123def", "٣٤٥ ١٢", "²³", "½ ¼", "Ⅻ ⅻ",
        "①②③", "१२३", "๑๒๓", "１２３", "v1.2.3", "$100.00", "50%", "#1", "1st 2nd 3rd",
        "Straße", "İstanbul ıi", "Ελληνικά", "Привет, мир!", "Україна", "שלום עולם", "مرحبا بالعالم",
        "नमस्ते दुनिया", "வணக்கம்", "ສະບາຍດີ", "สวัสดีครับ", "ሰላም", "Բարեւ", "გამარჯობა",
        "你好，世界！这是一个测试。", "日本語のテキストとカタカナ ー", "한국어 텍스트입니다", "中文English混合",
        "Tiếng Việt có dấu", "café naïve résumé", "cafe\u0301 nai\u0308ve", "A\u030a", "\u1100\u1161\u11a8",
        "ﬁ ﬂ", "K Kelvin", "Å Angstrom", "Ǆ ǅ ǆ", "ＦＵＬＬＷＩＤＴＨ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚",
        "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇺🇸", "❤️", "a😀b", "😀😀😀", " 😀 ", "emoji 🎉🎉 end",
        "👩🏾‍💻 codes", "☃ ★ ☺", "©®™", "→ ← ↑ ↓", "∑∫√∞≠≤", "€£¥₹", "§¶•…", "–—", "«»„“”",
        "\u00a0", "x\u00a0y", "x\u00a0\u00a0y", "\u3000全角", "\u2028", "\u2029", "\u202f", "\u205f",
        "\u1680", "\u2000\u2001\u2002", "\u200b", "a\u200bb", "\u200d", "\ufeffBOM", "\u0085",
        "\ufffd", "\x00", "\x01\x02\x7f", "\x1b[31mred\x1b[0m", "\u0301", " \u0301", "\ue000",
        "\uffff", "\U000e0001", "\U0010ffff", "\U0001f9ff", "a\u0300\u0301\u0302",
        "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
        "if x == 1:\n\n\n    pass", "{\"key\": [1, 2, 3], \"null\": null}", "<div class=\"a\">text</div>",
        "SELECT * FROM t WHERE id = 42;", "https://example.com/path?q=1&r=2#frag", "user@example.org",
        "/usr/local/bin/python3", "C:\\Windows\\System32", "| a | b |\n|---|---|\n| 1 | 2 |",
        "$$\\frac{a}{b} = \\sum_{i=1}^{n} x_i$$", "#include <vector>\nint main() { return 0; }",
        "    indented", "\tx = 1", "a\tb\tc", "line1\nline2\r\nline3\rline4", "x  \n  y",
        "end with newline\n", "\n\nstart with newlines", "!!!", "???", "...", "---", "***", "!!!\n\n",
        "a!!\n", "hi!\n\n\nthere", "(a)", "[1, 2]", "a.b.c", "a,b,c", "a;b", "a-b", "a_b", "a/b",
        "Q: What is 2+2?\nA: 4", "Q: Who wrote Hamlet?\nA:", "Answer the question.\n\nQ: x\nA:",
    ]
    out += SPECIALS
    out += [f"before{s}after" for s in SPECIALS]
    out += [f" {s} " for s in SPECIALS[:8]]
    out += [
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "<|im_start|><|im_end|>", "<|im_start|>" * 3, "<|im_start", "im_end|>", "<||>", "<|",
        "<|im_start|>\n", "x<|endoftext|>y<|endoftext|>z", "<think>\nreasoning\n</think>\n\nanswer",
        "not <|a special|> token", "<|IM_START|>", "< |im_start| >",
    ]
    out += [" " * 50, "\n" * 20, " \t" * 20, "a" * 300, "ab" * 200, "!" * 300, "1" * 301,
            "😀" * 60, "中" * 200, "word " * 100, "Supercalifragilisticexpialidocious" * 10,
            "-" * 80 + "\n" + "=" * 80, "x" + " " * 100 + "y", ("The cat sat. " * 40).strip()]
    rng = random.Random(1234)
    atoms = [" ", "  ", "\n", "\t", "\r\n", "'s", "'S", "'ll", "'LL", "'", "a", "Z", "word", "Word",
             "0", "12", "345", "٣", ".", ",", "!?", "(", "😀", "👍🏽", "中文", "é", "e\u0301", "\u00a0",
             "<|im_end|>", "<|eot_id|>", "<think>", "ß", "Ω", "ñ", "\u200d", "x", "-", "_", "$"]
    for _ in range(80):
        out.append("".join(rng.choice(atoms) for _ in range(rng.randint(1, 14))))
    return out


def export_smollm2(gguf_path, dest):
    """SmolLM2's tokenizer.json from the GGUF metadata, with SmolLM2's own pre-tokenizer."""
    from transformers import AutoTokenizer
    tmp = tempfile.mkdtemp()
    try:
        os.symlink(os.path.abspath(gguf_path), os.path.join(tmp, "model.gguf"))
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file="model.gguf")
        j = json.loads(tok.backend_tokenizer.to_str())
    finally:
        shutil.rmtree(tmp)
    bytelevel = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    j["normalizer"] = None
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, bytelevel]}
    j["post_processor"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True}
    j["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(dest, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>",
                   "add_bos_token": False}, f, indent=1)
        f.write("\n")


def decode_cases(tok, rng):
    n = tok.get_vocab_size(with_added_tokens=True)
    ids_of = lambda s: tok.encode(s, add_special_tokens=False).ids
    cases = []
    # Byte tokens of partial UTF-8 sequences: decode replaces them with U+FFFD.
    byte_tok = {}
    for i in range(n):
        t = tok.id_to_token(i)
        if t is not None and len(t) == 1:
            byte_tok[t] = i
    b2u = {}
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, k = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + k)
            k += 1
    b2u = dict(zip(bs, map(chr, cs)))
    raw = lambda data: [byte_tok[b2u[b]] for b in data if b2u[b] in byte_tok]
    for data in [b"\xe4", b"\xe4\xb8", b"\xe4\xb8\xad", b"a\xe4b", b"\xf0\x9f\x98", b"\x80", b"\xbf\xbf",
                 b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff\xfe", b"\xe0\x80\x80",
                 b"\xf0\x9f\x98\x80\x80", b"ok\xc3"]:
        cases.append(raw(data))
    cases.append(ids_of("héllo 😀") + ids_of("<|im_end|>") + ids_of("<|eot_id|>"))
    for _ in range(40):
        cases.append([rng.randrange(n) for _ in range(rng.randint(1, 12))])
    specials = [i for i in range(n) if tok.id_to_token(i) in SPECIALS]
    for _ in range(10):
        cases.append([rng.choice(specials + [rng.randrange(n)]) for _ in range(6)])
    out = []
    for ids in cases:
        for skip in (False, True):
            out.append({"ids": ids, "skip_special": skip, "text": tok.decode(ids, skip_special_tokens=skip)})
    return out


def write_family(name, tokenizer_json, texts):
    tok = Tokenizer.from_file(tokenizer_json)
    with open(os.path.join(OUT, name + ".jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            ids = tok.encode(t, add_special_tokens=True).ids
            f.write(json.dumps({"text": t, "ids": ids, "decoded": tok.decode(ids)}, ensure_ascii=False) + "\n")
    with open(os.path.join(OUT, name + "_decode.jsonl"), "w", encoding="utf-8") as f:
        for c in decode_cases(tok, random.Random(7)):
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{name}: {len(texts)} strings from {tokenizer_json}")


def main():
    home = os.path.expanduser("~")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", default=os.path.join(
        os.environ.get("SELFENS_MODELS_DIR", os.path.join(home, ".cache/selfens/models")),
        "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--assets", default=os.path.join(
        os.environ.get("SELFENS_ASSETS_DIR", os.path.join(home, ".cache/selfens/assets")), "tokenizers"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    texts = corpus()
    assert len(texts) >= 200, len(texts)
    export_smollm2(args.gguf, os.path.join(OUT, "smollm2"))
    write_family("smollm2", os.path.join(OUT, "smollm2", "tokenizer.json"), texts)
    # The same vocabulary behind GPT-2's plain ByteLevel pre-tokenizer (what
    # transformers' GGUF converter gives), for the tests of that pattern.
    with open(os.path.join(OUT, "smollm2", "tokenizer.json"), encoding="utf-8") as f:
        j = json.load(f)
    j["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(j, f, ensure_ascii=False)
        write_family("gpt2_bytelevel", os.path.join(tmp, "tokenizer.json"), texts)
    for fam in ("llama3", "qwen2"):
        path = os.path.join(args.assets, fam, "tokenizer.json")
        if not os.path.exists(path):
            raise SystemExit(f"{path} missing: run scripts/fetch_test_assets.sh")
        write_family(fam, path, texts)


if __name__ == "__main__":
    main()
