#!/usr/bin/env python3
"""Deterministic inputs for dump_reference: tokenizer strings, logits prompts, greedy prompts.

Hand-written cases cover each tokenizer hazard by name (scripts, emoji sequences, whitespace runs,
digits, contractions, special-token look-alikes); a seeded generator then mixes the same material
into a few thousand combined strings, so pre-tokenizer splits are exercised at every boundary.

Writes, into OUTDIR, one record per line with the UTF-8 text hex-encoded (so newlines survive):
  tokenizer.txt  "<flag> <hex>", flag 1 = tokenize with parse_special, else 0
  logits.txt     "<hex>"
  greedy.txt     "<hex>"

Usage: make_corpus.py OUTDIR
"""

import random
import sys
from pathlib import Path

SEED = 20250611
GENERATED_COUNT = 1800

LATIN_ACCENTED = [
    "café", "naïve", "Zürich", "São Paulo", "façade", "Ångström", "über", "fiancée", "Dvořák",
    "Łódź", "smörgåsbord", "jalapeño", "crème brûlée", "Straße", "STRASSE", "œuvre", "Æsir",
    "İstanbul", "ırmak", "Tiếng Việt có dấu", "Ça va?", "El niño pidió más piñatas.",
    "Ärger über Öl", "e\u0301cole (decomposed)", "\u00e9cole (composed)", "Ñandú", "Þórr", "ǅemal",
]
CYRILLIC = [
    "Привет, мир!", "Съешь же ещё этих мягких французских булок, да выпей чаю.", "Україна",
    "Ёлка и ёжик", "МОСКВА", "щи да каша — пища наша", "Беларусь", "Српски језик",
]
GREEK = ["Καλημέρα κόσμε", "Γειά σου!", "ΑΒΓΔΕ αβγδε", "ς σ Σ", "Ἀθῆναι", "φιλοσοφία"]
ARABIC = [
    "مرحبا بالعالم", "السلام عليكم", "مَرْحَبًا", "٠١٢٣٤٥٦٧٨٩", "اللغة العربية جميلة.",
    "كتاب ١٢٣ book",
]
HEBREW = ["שלום עולם", "עִבְרִית", "ירושלים 2024", "אבגד הוז"]
DEVANAGARI = ["नमस्ते दुनिया", "हिन्दी भाषा", "क्षत्रिय", "संस्कृतम्", "१२३४५", "मैं ठीक हूँ।"]
CJK = [
    "你好，世界", "日本語のテキスト", "東京は晴れです。", "漢字", "中文分词测试", "ＡＢＣ１２３",
    "カタカナ ひらがな", "我爱北京天安门。", "「引用」と『二重』", "一二三四五六七八九十",
    "𠮷野家",
]
HANGUL = ["안녕하세요 세계", "한국어", "대한민국 만세!", "ㄱㄴㄷㄹ", "서울특별시"]
THAI = ["สวัสดีชาวโลก", "ภาษาไทย", "ฉันรักเมืองไทย", "๑๒๓"]
OTHER_SCRIPTS = [
    "გამარჯობა", "Բարեւ", "வணக்கம்", "নমস্কার", "ሰላም", "ᏣᎳᎩ", "Ελληνικά и русский и English",
    "ᚠᚢᚦᚨᚱᚲ", "ꦗꦮ", "ଓଡ଼ିଆ", "ಕನ್ನಡ", "മലയാളം", "తెలుగు", "ગુજરાતી", "ਪੰਜਾਬੀ", "සිංහල",
]
EMOJI = [
    "😀", "👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸🇯🇵🇩🇪", "🇫🇷", "❤️", "❤", "🧑🏿‍💻", "1️⃣", "#️⃣",
    "🫠", "👩‍❤️‍💋‍👨", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "I ❤️ NY", "😂😂😂", "🐍 + 🦀 = ?", "☕️", "✅ done", "🚀🌕",
]
CODE = [
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "import numpy as np\nx = np.arange(10)**2\nprint(x[::-1])",
    "class Foo:\n\tdef __init__(self):\n\t\tself.x = {'a': 1, \"b\": [2, 3]}\n",
    "#include <vector>\n\ntemplate <typename T>\nT sum(const std::vector<T>& v) {\n    T s{};\n"
    "    for (auto& x : v) s += x;\n    return s;\n}\n",
    "int main(int argc, char** argv) { return argc > 1 ? std::stoi(argv[1]) : 0; }",
    "std::unique_ptr<Foo> p = std::make_unique<Foo>(42); p->bar(); a->b <<= 3; x != y && z;",
    '{"name": "parley", "version": "0.1.0", "tags": ["llm", "qt"], "ok": true, "n": null}',
    '{\n  "messages": [\n    {"role": "user", "content": "Hi"}\n  ]\n}',
    "for f in *.gguf; do sha256sum \"$f\" | tee -a sums.txt; done",
    "cat /etc/os-release | grep -E '^(NAME|VERSION)=' && echo \"ok\" || exit 1",
    "ls -la ~/.cache && cd /tmp && tar -xzf foo.tar.gz 2>/dev/null",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC LIMIT 10;",
    "<div class=\"msg\"><p>Hello &amp; welcome</p></div>",
    "fn main() { let v: Vec<u8> = vec![1, 2, 3]; println!(\"{:?}\", v); }",
    "x = lambda a, b: a ** b if a else -b  # comment",
    "    indented_with_spaces()\n\tindented_with_tab()\n",
    "if (a == b) {\r\n    return;\r\n}\r\n",
    "// TODO(#3): fix\n/* block\n   comment */",
    "key: value\nlist:\n  - one\n  - two\n",
    "$ echo $HOME; export PATH=\"$PATH:/usr/local/bin\"",
]
WHITESPACE = [
    " ", "  ", "   ", "    ", "        ", " " * 16, " " * 33, "\t", "\t\t", "\t\t\t", "\n", "\n\n",
    "\n\n\n", "\r\n", "\r\n\r\n", "\r", " \n ", " \t \n ", "  \t \n\r\n  ", "\u00a0", "\u3000",
    "\u2003", "\u200b", "\v", "\f", "   leading spaces", "trailing spaces   ", " both ", "a  b   c    d",
    "\tleading tab", "trailing tab\t", "line one\nline two", "line one\n\nline three",
    "windows\r\nline endings\r\n", "mixed \t\t  tabs and   spaces", "\n\nleading newlines",
    "trailing newlines\n\n", "word \n word", "x\n \n \ny", "Hello world", " Hello world",
    "Hello  world", "Hello\tworld", "Hello\nworld", "  \n\n  Hello  \n\n  ",
]
NUMBERS = [
    "0", "1", "12", "123", "1234", "12345", "123456", "1234567", "12345678901234567890",
    "3.14159", "2.718281828459045", "1,000,000", "1.000.000,50", "-42", "+7", "1e10", "6.02e23",
    "0x1F", "0b1010", "2024-06-11", "12:34:56", "+1 (555) 123-4567", "$1,234.56", "€99,99",
    "50%", "1/2", "3rd", "21st century", "v1.2.3", "192.168.0.1", "100km/h", "x1y2z3",
    "000123", "9999999999999999999999999999", "1 2 3 4 5", "1,2,3,4,5", "½ ¼ ¾", "²³",
    "Ⅻ", "①②③",
]
PUNCTUATION = [
    "...", "…", "!!!", "?!", "?!?!", "---", "—", "–", "***", "((()))", "[[[]]]", "{{}}", "<<>>",
    "„quotes“", "«guillemets»", "“smart quotes”", "‘single’", "''", '""', "@#$%^&*", "~`|\\",
    "Hello, world!", "Wait... what?!", "a.b.c", "a-b_c", "snake_case_name", "camelCaseName",
    "PascalCaseName", "kebab-case-name", "SCREAMING_CASE", "e.g., i.e., etc.", "§ ¶ † ‡ • ©®™",
    "¿Qué?", "¡Hola!", ";;", "::", "=>", "->", "!=", "===", "/**/", "#!/bin/sh",
]
CONTRACTIONS = [
    "it's", "we're", "they'll", "I've", "I'd", "don't", "can't", "won't", "she's", "you're",
    "IT'S", "WE'RE", "HE'LL", "I'VE", "I'D", "DON'T", "She'S", "They'Re", "'s", "'re", "'ll",
    "'ve", "'d", "'m", "'t", "y'all'd've", "rock 'n' roll", "'quoted'", "O'Neil's", "Mary's",
    "the dog's bone", "It's a dog's life, isn't it?", "I'M", "you'RE", "Don’t (curly)",
]
URLS = [
    "https://example.com/path?q=1&r=2#frag", "http://localhost:8080/v1/chat/completions",
    "www.example.org", "user@example.com", "ftp://files.example.net/pub/a-b_c.tar.gz",
    "file:///home/user/x.txt", "https://en.wikipedia.org/wiki/Byte_pair_encoding",
    "https://github.com/owner/repo/issues/3", "mailto:someone@example.org?subject=Hi%20there",
    "https://例え.jp/パス", "ws://127.0.0.1:9000/socket",
]
SPECIAL_LOOKALIKES = [
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<start_of_turn>", "<end_of_turn>", "<s>",
    "</s>", "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "[INST]", "[/INST]",
    "<|begin_of_text|>", "<|eot_id|>", "<think>", "</think>",
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n",
    "<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n",
    "<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n",
    "<s>[INST] Hello [/INST]", "text<|im_end|>more", "<|im_start", "im_start|>", "< |im_start| >",
    "<<s>>", "<s><s>", "<|im_start|><|im_start|>", " <|im_end|> ", "\n<end_of_turn>\n",
    "<|endoftext|>The end", "<start_of_image>", "<|fim_prefix|>", "<tool_call>",
]
WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "model", "token", "Parley",
    "inference", "attention", "transformer", "hello", "world", "Hello", "World", "HELLO",
    "tokenization", "unbelievable", "antidisestablishmentarianism", "a", "I", "an", "is", "of",
    "GPU", "CPU", "llama", "gemma", "SmolLM", "Qt", "QML", "C++20", "JSON", "HTTP", "data",
]

LOGITS_PROMPTS = [
    "The capital of France is",
    "What is the difference between a list and a tuple in Python?",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Once upon a time, in a small village by the sea, there lived",
    "Der schnelle braune Fuchs springt über den faulen Hund, und",
    "1, 2, 3, 4, 5, 6, 7,",
    "Here is a list of three fruits:\n1. Apple\n2.",
    '{"name": "Alice", "age": 30, "city":',
    "今日はとても良い天気ですね。",
    "Q: How many legs does a spider have?\nA:",
    "The mitochondria is the powerhouse of the",
    "Translate to French: I would like a cup of coffee, please.\nFrench:",
]
GREEDY_PROMPTS = [
    "The capital of France is",
    "What is the tallest mountain in the world?",
    "Write a haiku about the ocean.",
    "Explain in one sentence what a neural network is.",
    "def is_prime(n):\n",
    "#include <iostream>\n\nint main() {\n",
    "SELECT name FROM employees WHERE",
    "My favourite things:\n- coffee\n-",
    "Steps to make tea:\n1.",
    "The French word for cat is",
    "El sol sale por el",
    "Berlin ist die Hauptstadt von",
    "Москва — столица",
    "中国的首都是",
    "Q: What is 12 + 30?\nA:",
    "Hi! How are you today?",
    "Can you recommend a good book about history?",
    "Once upon a time",
    "The three primary colors are",
    "To be, or not to be,",
    '{"city": "Paris", "country":',
    "Water boils at a temperature of",
    "In summary, the main advantages of renewable energy are",
    "A list of the planets in the solar system:",
]


def long_logits_prompt(rng):
    """A prompt of several hundred tokens: longer than a 512-token sliding attention window."""
    sentences = [
        "The river bends twice before it reaches the old mill.",
        "Every morning the baker opens the shutters at six o'clock.",
        "Children walk to school along the narrow stone bridge.",
        "In autumn the hills turn red, orange and gold.",
        "The library keeps its rarest maps in a locked cabinet.",
        "Fishermen mend their nets on the quay while gulls circle above.",
        "A small train connects the village to the city twice a day.",
        "The mayor, who is also the postmaster, knows everyone by name.",
    ]
    paragraph = " ".join(rng.choice(sentences) for _ in range(70))
    return paragraph + "\n\nQuestion: What does the baker do every morning?\nAnswer:"


def random_code_point(rng):
    """A valid Unicode scalar value from blocks that tokenizers commonly handle differently."""
    blocks = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF),
        (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F),
        (0x2190, 0x23FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF),
        (0x1F300, 0x1FAFF), (0x20000, 0x2A6DF),
    ]
    low, high = rng.choice(blocks)
    return chr(rng.randint(low, high))


def hand_written_strings():
    strings = []
    for group in (LATIN_ACCENTED, CYRILLIC, GREEK, ARABIC, HEBREW, DEVANAGARI, CJK, HANGUL, THAI,
                  OTHER_SCRIPTS, EMOJI, CODE, WHITESPACE, NUMBERS, PUNCTUATION, CONTRACTIONS, URLS,
                  SPECIAL_LOOKALIKES, WORDS):
        strings.extend(group)
    strings.extend(chr(c) for c in range(0x20, 0x7F))
    strings.extend(" " + chr(c) for c in range(0x21, 0x7F))
    strings.extend(str(n) for n in (7, 42, 100, 999, 1000, 2025, 65536, 1000000, 31415926535))
    strings.extend(" " * n + "x" for n in range(1, 12))
    strings.extend("x" + " " * n for n in range(1, 12))
    strings.extend("\n" * n + "x" for n in range(1, 6))
    strings.append("")
    strings.append("a" * 300)
    strings.append(" " * 200)
    strings.append("ab" * 150)
    strings.append("\n" * 40)
    strings.append("1234567890" * 20)
    strings.append(" ".join(WORDS) * 3)
    strings.append("".join(EMOJI))
    strings.append("\n\n".join(CODE))
    return strings


def generated_strings(rng):
    pools = [LATIN_ACCENTED, CYRILLIC, GREEK, ARABIC, HEBREW, DEVANAGARI, CJK, HANGUL, THAI,
             OTHER_SCRIPTS, EMOJI, NUMBERS, PUNCTUATION, CONTRACTIONS, URLS, WORDS, WORDS, WORDS]
    separators = [" ", " ", " ", "", "\n", "\t", "  ", "\r\n", ", ", ". ", " - ", "\n\n", "   "]
    strings = []
    for _ in range(GENERATED_COUNT):
        kind = rng.random()
        if kind < 0.08:
            text = "".join(random_code_point(rng) for _ in range(rng.randint(1, 24)))
        elif kind < 0.14:
            text = rng.choice(CODE)
            cut = sorted(rng.sample(range(len(text) + 1), 2))
            text = text[cut[0]:cut[1]]
        else:
            parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 7))]
            text = parts[0]
            for part in parts[1:]:
                text += rng.choice(separators) + part
            if rng.random() < 0.15:
                text = text.upper()
            if rng.random() < 0.2:
                text = rng.choice(separators) + text
            if rng.random() < 0.2:
                text = text + rng.choice(separators)
        strings.append(text)
    return strings


def unique(strings):
    seen = set()
    return [s for s in strings if not (s in seen or seen.add(s))]


def write_hex_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out_dir = Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)

    tokenizer_strings = unique(hand_written_strings() + generated_strings(rng))
    special_strings = unique(SPECIAL_LOOKALIKES + [
        "Hello <|im_end|> world", "<s> hello </s>", "<bos>Hello", "x<end_of_turn>y",
        "<|im_start|>assistant\nSure! Here you go.<|im_end|>",
    ])
    tokenizer_lines = ["0 " + s.encode("utf-8").hex() for s in tokenizer_strings]
    tokenizer_lines += ["1 " + s.encode("utf-8").hex() for s in special_strings]
    write_hex_lines(out_dir / "tokenizer.txt", tokenizer_lines)

    logits_prompts = LOGITS_PROMPTS + [long_logits_prompt(rng)]
    write_hex_lines(out_dir / "logits.txt", [p.encode("utf-8").hex() for p in logits_prompts])
    write_hex_lines(out_dir / "greedy.txt", [p.encode("utf-8").hex() for p in GREEDY_PROMPTS])

    print(f"tokenizer: {len(tokenizer_strings)} plain + {len(special_strings)} parse_special; "
          f"logits: {len(logits_prompts)} prompts; greedy: {len(GREEDY_PROMPTS)} prompts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
