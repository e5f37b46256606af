#!/usr/bin/env python3
"""Renders chat-template test cases with jinja2 exactly as Hugging Face transformers does and
writes the expected outputs to tests/data/chat_template/cases.json for the C++ parity test.

Environment mirrored from transformers' `_compile_jinja_template`:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the loopcontrols
extension and a `{% generation %}` block tag, a `tojson` filter that is json.dumps(ensure_ascii=False,
indent, separators, sort_keys), `raise_exception` and `strftime_now`. strftime_now uses the fixed
time FIXED_NOW so the expected files are reproducible.

Usage: /work/main/.venv/bin/python tests/reference/render_templates.py [--smollm2-gguf PATH]
"""
import argparse
import json
import struct
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "chat_template"
TEMPLATES = DATA / "templates"
FIXED_NOW = datetime(2024, 7, 26, 10, 30, 0)


class GenerationTag(Extension):
    """transformers' AssistantTracker outside of mask tracking: renders its body unchanged."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body, lineno=lineno)


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def gguf_string(path, wanted_key):
    """Reads one string metadata value from a GGUF file (v2/v3)."""
    data = Path(path).read_bytes()
    pos = 0

    def take(fmt):
        nonlocal pos
        value = struct.unpack_from("<" + fmt, data, pos)[0]
        pos += struct.calcsize("<" + fmt)
        return value

    def text():
        nonlocal pos
        n = take("Q")
        value = data[pos:pos + n].decode("utf-8")
        pos += n
        return value

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
              12: "d"}

    def value(kind):
        if kind == 8:
            return text()
        if kind == 9:
            item_kind = take("I")
            return [value(item_kind) for _ in range(take("Q"))]
        return take(scalar[kind])

    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    pos = 4
    take("I")
    take("Q")
    for _ in range(take("Q")):
        key = text()
        found = value(take("I"))
        if key == wanted_key:
            return found
    raise KeyError(wanted_key)


# ---- conversations ----

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}]

USER_ONLY = [{"role": "user", "content": "Hello!"}]
SYSTEM_MULTI = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": " It is 4. "},
    {"role": "user", "content": "And 3+3?\n"},
]
MULTI_NO_SYSTEM = SYSTEM_MULTI[1:]
UNICODE = [
    {"role": "user", "content": "Grüße, 世界! 👋 “quoted” \"json\" back\\slash\ttab"},
    {"role": "assistant", "content": "Ça va — très bien."},
    {"role": "user", "content": "Ok"},
]
TOOL_CALL = {"type": "function", "id": "call12345",
             "function": {"name": "get_weather",
                          "arguments": {"location": "Paris", "unit": "celsius"}}}
TOOL_TURNS = [
    {"role": "user", "content": "What's the weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
    {"role": "tool", "content": "{\"temperature\": 21, \"unit\": \"celsius\"}",
     "tool_call_id": "call12345"},
    {"role": "assistant", "content": "It is 21 °C in Paris."},
    {"role": "user", "content": "Thanks"},
]
NOT_ALTERNATING = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]


def chat(messages, generation=True, **extra):
    context = {"messages": messages, "add_generation_prompt": generation,
               "bos_token": "<s>", "eos_token": "</s>"}
    context.update(extra)
    return context


def standard_contexts():
    return [
        ("user_only", chat(USER_ONLY)),
        ("user_only_no_prompt", chat(USER_ONLY, False)),
        ("system_multi", chat(SYSTEM_MULTI)),
        ("system_multi_no_prompt", chat(SYSTEM_MULTI, False)),
        ("multi_no_system", chat(MULTI_NO_SYSTEM)),
        ("unicode", chat(UNICODE)),
    ]


def real_template_cases():
    cases = []

    def add(template, contexts):
        for name, context in contexts:
            cases.append({"template": template, "name": name, "context": context})

    for template in ["smollm2", "phi3", "llama3_2_date"]:
        add(template, standard_contexts())
    add("gemma3_it", standard_contexts() + [
        ("multimodal", chat([
            {"role": "system", "content": [{"type": "text", "text": "Describe images."}]},
            {"role": "user", "content": [{"type": "image"},
                                         {"type": "text", "text": "  What is this?  "}]},
        ])),
        ("not_alternating", chat(NOT_ALTERNATING)),
        ("invalid_content", chat([{"role": "user", "content": 42}])),
    ])
    llama_tool_turns = [
        {"role": "system", "content": "You can call tools."},
        TOOL_TURNS[0],
        {"role": "assistant", "tool_calls": [TOOL_CALL]},
        {"role": "ipython", "content": {"temperature": 21}},
        TOOL_TURNS[3],
    ]
    add("llama3_1_tools", standard_contexts() + [
        ("tools_in_user_message", chat(llama_tool_turns, tools=TOOLS)),
        ("tools_in_system", chat(llama_tool_turns, tools=TOOLS, tools_in_user_message=False,
                                 date_string="01 Jan 2025")),
        ("builtin_tools", chat([
            {"role": "user", "content": "Search for cats"},
            {"role": "assistant", "tool_calls": [{"function": {
                "name": "brave_search", "arguments": {"query": "cats", "count": "3"}}}]},
            {"role": "ipython", "content": "No results"},
        ], builtin_tools=["brave_search", "code_interpreter", "wolfram_alpha"])),
        ("two_tool_calls", chat([TOOL_TURNS[0], {"role": "assistant",
                                                 "tool_calls": [TOOL_CALL, TOOL_CALL]}])),
        ("tools_without_user", chat([], tools=TOOLS)),
    ])
    add("qwen2_5_tools", standard_contexts() + [
        ("tools", chat(TOOL_TURNS, tools=TOOLS)),
        ("tools_with_system", chat([SYSTEM_MULTI[0]] + TOOL_TURNS, tools=TOOLS)),
        ("two_tool_results", chat([
            TOOL_TURNS[0],
            {"role": "assistant", "content": "Checking.", "tool_calls": [TOOL_CALL, TOOL_CALL]},
            {"role": "tool", "content": "21"},
            {"role": "tool", "content": "22"},
        ], tools=TOOLS)),
        ("tools_none", chat(USER_ONLY, tools=None)),
    ])
    add("mistral_v0_3_tools", [
        ("user_only", chat(USER_ONLY)),
        ("system_multi", chat(SYSTEM_MULTI)),
        ("unicode", chat(UNICODE)),
        ("tools", chat(TOOL_TURNS, tools=TOOLS)),
        ("tools_object_result", chat([
            TOOL_TURNS[0], TOOL_TURNS[1],
            {"role": "tool", "content": {"content": {"temperature": 21}},
             "tool_call_id": "call12345"},
        ], tools=TOOLS)),
        ("bad_call_id", chat([TOOL_TURNS[0], {"role": "assistant", "tool_calls": [
            {"id": "short", "function": {"name": "f", "arguments": {}}}]}])),
        ("not_alternating", chat(NOT_ALTERNATING)),
        ("unknown_role", chat([{"role": "narrator", "content": "x"}])),
    ])
    add("deepseek_r1", standard_contexts() + [
        ("think_stripped", chat([
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "<think>hmm</think>Hello!"},
            {"role": "user", "content": "Bye"},
        ])),
        ("tools", chat([
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"type": "function", "function": {"name": "get_weather",
                                                  "arguments": "{\"location\": \"Paris\"}"}},
                {"type": "function", "function": {"name": "get_time",
                                                  "arguments": "{}"}}]},
            {"role": "tool", "content": "21C"},
            {"role": "tool", "content": "10:30"},
            {"role": "assistant", "content": "21C at 10:30."},
        ])),
        ("no_generation_flag", {"messages": USER_ONLY, "bos_token": "<s>"}),
    ])
    return cases


# ---- feature templates: (name, template, [contexts]) ----

FEATURES = [
    # whitespace control, trim_blocks, lstrip_blocks
    ("ws_trim_blocks", "{% if true %}\nyes\n{% endif %}\ndone", [{}]),
    ("ws_lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\n  {{ 'y' }}\n", [{}]),
    ("ws_minus", "a  \n  {{- 'b' -}}  \n  c {%- if true -%}  d  {%- endif -%}  e", [{}]),
    ("ws_plus", "  {%+ if true %}x{% endif +%}\n  y\n", [{}]),
    ("ws_comment", "a\n  {# note #}\nb {#- c -#}  \n c\n{# x #}  d", [{}]),
    ("ws_lstrip_after_text", "x  {% if true %}y{% endif %}\n\t {% if 1 %}z{% endif %}", [{}]),
    ("ws_variable_not_lstripped", "a\n  {{ 'v' }}\n  {% set q = 1 %}\nb", [{}]),
    ("ws_crlf", "line1\r\n{% if true %}\r\nline2\r\n{% endif %}\r\nend\r\n", [{}]),
    ("ws_trailing_newline", "text\n", [{}]),
    ("ws_two_trailing_newlines", "text\n\n", [{}]),
    ("ws_raw", "{% raw %}{{ not rendered }}{% endraw %}\n{%- raw -%}  {% x %}  {%- endraw %}", [{}]),
    ("ws_minus_at_edges", "{{- 'a' }}\n\n{%- if true %}\n\n{%- endif %}", [{}]),
    # literals and printing
    ("print_values", "{{ 1 }}|{{ 1.5 }}|{{ 1.0 }}|{{ 1e20 }}|{{ 1e-5 }}|{{ 0.1 + 0.2 }}|{{ -0.0 }}"
     "|{{ true }}|{{ none }}|{{ False }}|{{ 'a' 'b' }}|{{ 1_000 }}|{{ 0x1F }}", [{}]),
    ("print_containers", "{{ [1, 'a', none, true, 2.5] }}|{{ {'k': 'v', 'n': [1]} }}|{{ (1, 2) }}"
     "|{{ (1,) }}|{{ () }}|{{ [\"it's\"] }}|{{ ['a\\nb'] }}|{{ x }}", [{"x": {"a": [1, {"b": None}]}}]),
    ("string_escapes", "{{ 'tab\\there' }}|{{ \"q\\\"uote\" }}|{{ 'uni\\u00e9' }}|{{ 'x\\y' }}|{{ '\\x41' }}", [{}]),
    ("print_undefined", "[{{ missing }}][{{ obj.nope }}][{{ obj.nope is defined }}][{{ obj['nope'] }}]", [{"obj": {}}]),
    # arithmetic
    ("arith_int", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} "
     "{{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 10 / 5 }} {{ true + 1 }}", [{}]),
    ("arith_float", "{{ 1.5 + 1 }} {{ 2.5 * 2 }} {{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ 2 ** 0.5 }} {{ -(3) }} {{ +4 }}", [{}]),
    ("arith_precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 10 - 2 - 3 }}", [{}]),
    ("string_concat", "{{ 'a' + 'b' }}{{ 'n' ~ 1 ~ none ~ true ~ missing }}{{ [1] + [2, 3] }}{{ 'ab' * 3 }}{{ [0] * 2 }}", [{}]),
    ("error_str_plus_int", "{{ 'a' + 1 }}", [{}]),
    ("error_undefined_plus", "{{ missing + 1 }}", [{}]),
    ("error_division_by_zero", "{{ 1 / 0 }}", [{}]),
    ("error_modulo_by_zero", "{{ 5 % 0 }}", [{}]),
    # comparisons and logic
    ("compare", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ 1 != 2 }} "
     "{{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ none == none }}", [{}]),
    ("logic", "{{ true and 'x' }}|{{ 0 or 'y' }}|{{ not 0 }}|{{ none or [] }}|{{ 'a' and '' }}|{{ not missing }}", [{}]),
    ("membership", "{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} "
     "{{ 'x' in missing }} {{ not 'a' in 'abc' }}", [{}]),
    ("error_compare_types", "{{ 1 < 'a' }}", [{}]),
    ("error_in_string_int", "{{ 1 in 'abc' }}", [{}]),
    ("conditional_expr", "{{ 'y' if true else 'n' }}|{{ 'y' if false else 'n' }}|{{ 'y' if false }}|"
     "{{ 'a' if 0 else 'b' if 1 else 'c' }}", [{}]),
    # subscripts and slices
    ("subscripts", "{{ xs[0] }} {{ xs[-1] }} {{ xs[10] }} {{ d['k'] }} {{ d.k }} {{ d.missing }} {{ s[1] }} "
     "{{ s[-2] }} {{ xs.0 }} {{ nested[0]['a'][1] }}",
     [{"xs": [1, 2, 3], "d": {"k": "v"}, "s": "héllo", "nested": [{"a": [5, 6]}]}]),
    ("slices", "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[::-1] }} {{ xs[-2:] }} {{ s[1:3] }} "
     "{{ s[::-1] }} {{ s[:-1] }} {{ xs[5:] }} {{ xs[1:2:] }}", [{"xs": [1, 2, 3, 4], "s": "héllo"}]),
    ("attr_method_vs_key", "{{ d['items'] }}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.get('x', 'dflt') }}|{{ d.get('items') }}",
     [{"d": {"items": 1, "b": 2}}]),
    # string methods
    ("str_methods", "{{ '  pad  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  l'.lstrip() }}|{{ 'r  '.rstrip() }}|"
     "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.startswith('ab') }}|"
     "{{ 'abc'.endswith(('x', 'c')) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'MiXed'.upper() }}|{{ 'MiXed'.lower() }}|"
     "{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'abcb'.find('b') }}|{{ 'abcb'.count('b') }}|"
     "{{ '-'.join(['a', 'b']) }}|{{ '123'.isdigit() }}|{{ 'they\\'re'.title() }}", [{}]),
    ("str_unicode_methods", "{{ s|length }}|{{ s.upper() }}|{{ s[0] }}|{{ s|list }}|{{ s|reverse }}|{{ ' \\u00a0x\\u3000 '.strip() }}",
     [{"s": "ça ñ"}]),
    ("dict_methods", "{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.items()|list }}|{{ d.get('a') }}|{{ d.get('z') }}",
     [{"d": {"a": 1, "b": [2]}}]),
    # filters
    ("filter_trim_length", "[{{ '  x  '|trim }}][{{ 'xxyxx'|trim('x') }}]{{ [1, 2]|length }}{{ 'abc'|count }}{{ {'a': 1}|length }}{{ missing|length }}", [{}]),
    ("filter_tojson", "{{ x|tojson }}\n{{ x|tojson(indent=2) }}\n{{ x|tojson(indent='\\t') }}\n{{ x|tojson(sort_keys=true) }}\n"
     "{{ x|tojson(separators=[',', ':']) }}\n{{ 'é'|tojson(ensure_ascii=true) }}\n{{ [[], {}]|tojson(indent=4) }}",
     [{"x": {"z": 1, "a": [1.5, None, True, "é\n\"\\", {"k": -0.0}], "e": {}, "f": 1e100}}]),
    ("filter_tojson_undefined", "{{ missing|tojson }}", [{}]),
    ("filter_join", "{{ ['a', 'b', 1]|join(', ') }}|{{ [1, 2]|join }}|{{ users|join(',', attribute='name') }}|{{ missing|join('x') }}",
     [{"users": [{"name": "ann"}, {"name": "bob"}]}]),
    ("filter_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ []|first }} {{ {'k': 1}|first }}", [{}]),
    ("filter_case", "{{ 'Hello'|lower }} {{ 'Hello'|upper }} {{ 'hello big-world (x)'|title }} {{ 'hELLO'|capitalize }}", [{}]),
    ("filter_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 1) }} {{ 'abc'|replace('', '-') }}", [{}]),
    ("filter_default", "{{ missing|default('d') }}|{{ none|default('d') }}|{{ ''|default('d', true) }}|{{ 'v'|d('d') }}|{{ missing|default }}", [{}]),
    ("filter_string_int_float", "{{ 12|string + '3' }} {{ '42'|int + 1 }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} "
     "{{ 3.9|int }} {{ '2.5'|float }} {{ 'a'|float }} {{ '0x1A'|int(0, 16) }} {{ true|int }}", [{}]),
    ("filter_items", "{% for k, v in d|items %}{{ k }}:{{ v }},{% endfor %}|{% for k, v in missing|items %}x{% endfor %}",
     [{"d": {"b": 1, "a": 2}}]),
    ("filter_select_reject", "{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} "
     "{{ [0, 1, '', 'a']|select|list }} {{ ['a', 'code', 'b']|reject('equalto', 'code')|list }} "
     "{{ [1, 5, 9]|select('gt', 4)|list }} {{ [1, 2]|select('in', [2, 3])|list }}", [{}]),
    ("filter_selectattr", "{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} "
     "{{ ms|rejectattr('tool_calls', 'undefined')|list|length }} {{ ms|selectattr('tool_calls')|list|length }} "
     "{{ ms|selectattr('tool_calls', 'defined')|map(attribute='role')|list }}",
     [{"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool_calls": [1]},
              {"role": "user", "content": "c"}]}]),
    ("filter_map", "{{ ['a', 'B']|map('upper')|list }} {{ ms|map(attribute='x.y')|list }} "
     "{{ ms|map(attribute='z', default='dz')|list }} {{ ['a b']|map('replace', ' ', '_')|list }}",
     [{"ms": [{"x": {"y": 1}}, {"x": {"y": 2}}]}]),
    ("filter_unique_sort", "{{ ['b', 'A', 'a', 'b']|unique|list }} {{ ['b', 'A', 'a']|unique(case_sensitive=true)|list }} "
     "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} "
     "{{ [3, 1]|sort(reverse=true) }} {{ us|sort(attribute='n')|map(attribute='n')|list }}",
     [{"us": [{"n": 2}, {"n": 1}]}]),
    ("filter_misc", "{{ -3|abs }} {{ [1, 2, 3]|sum }} {{ us|sum(attribute='n') }} {{ [3, 1, 2]|max }} {{ [3, 1, 2]|min }} "
     "{{ 2.567|round(2) }} {{ 2.5|round }} {{ 3.5|round }} {{ 7|round }} {{ 2.1|round(method='ceil') }} {{ [1, 2]|reverse|list }} "
     "{{ '<a href=\"x\">'|e }} {{ 'x'|safe }} {{ {'b': 1, 'a': 2}|dictsort }} {{ 'one two  three'|wordcount }}",
     [{"us": [{"n": 2}, {"n": 1.5}]}]),
    ("filter_indent", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}", [{}]),
    ("filter_chain_precedence", "{{ 'a' + 'b'|upper }} {{ -1|abs }} {{ [1,2]|length + 1 }} {{ ('a' + 'b')|upper }}", [{}]),
    ("filter_list", "{{ 'ab'|list }} {{ {'k': 1, 'j': 2}|list }} {{ missing|list }}", [{}]),
    # tests
    ("tests_types", "{{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ 's' is string }} "
     "{{ {} is mapping }} {{ [] is iterable }} {{ 's' is iterable }} {{ 1 is iterable }} {{ 's' is sequence }} "
     "{{ none is none }} {{ missing is undefined }} {{ 1 is defined }} {{ true is true }} {{ 0 is false }} "
     "{{ true is boolean }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 1 is eq 1 }} {{ 2 is equalto(2) }} "
     "{{ 2 is ne 3 }} {{ 3 is gt 2 }} {{ 'A' is upper }} {{ 'a' is lower }} {{ range is callable }} {{ 2 is in [1, 2] }} "
     "{{ none is sameas none }} {{ 'x' is not string }} {{ missing is sequence }} {{ missing is iterable }}", [{}]),
    ("test_attr_of_dicts", "{% for m in ms %}{{ m.content is string }}/{{ m.content is mapping }}/{{ m.extra is defined }};{% endfor %}",
     [{"ms": [{"content": "s"}, {"content": {"a": 1}, "extra": None}]}]),
    # loops
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
     "{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", [{}]),
    ("loop_prev_next_cycle", "{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }}-{{ loop.cycle('o', 'e') }}"
     "{{ loop.previtem is defined }};{% endfor %}", [{}]),
    ("loop_filter_else", "{% for x in range(6) if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}"
     "|{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [0] if x %}x{% else %}filtered{% endfor %}", [{}]),
    ("loop_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}{% for (k, v) in d.items() %}{{ k }}{{ v }}{% endfor %}"
     "{% for a, (b, c) in [[1, [2, 3]]] %}{{ a }}{{ b }}{{ c }}{% endfor %}", [{"d": {"x": 1}}]),
    ("loop_dict_and_string", "{% for k in d %}{{ k }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}|{% for x in missing %}x{% endfor %}",
     [{"d": {"b": 1, "a": 2}}]),
    ("loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", [{}]),
    ("loop_nested", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}", [{}]),
    ("loop_range", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}", [{}]),
    ("error_iterate_none", "{% for x in none %}{% endfor %}", [{}]),
    ("error_iterate_int", "{% for x in 5 %}{% endfor %}", [{}]),
    ("error_unpack_count", "{% for a, b in [[1, 2, 3]] %}{% endfor %}", [{}]),
    # scoping
    ("scope_loop_does_not_leak", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}"
     "{% for i in [1] %}{% set inner = 5 %}{% endfor %}[{{ inner }}][{{ i }}]", [{}]),
    ("scope_if_leaks", "{% if true %}{% set y = 'set in if' %}{% endif %}{{ y }}", [{}]),
    ("scope_namespace", "{% set ns = namespace(count=0, found=false) %}{% for x in [1, 2, 3] %}{% set ns.count = ns.count + x %}"
     "{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.missing }}"
     "{% set n2 = namespace({'a': 1}, b=2) %} {{ n2.a }}{{ n2.b }}", [{}]),
    ("scope_reassign_messages", "{% set messages = messages[1:] %}{% for m in messages %}{{ m }}{% endfor %}", [{"messages": [1, 2, 3]}]),
    ("scope_set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}", [{}]),
    ("scope_set_block", "{% set block %}  Hello {{ name }}  {% endset %}[{{ block }}]{% set t | trim | upper %}  x  {% endset %}[{{ t }}]",
     [{"name": "Bob"}]),
    ("scope_with", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", [{}]),
    ("error_set_attr_non_namespace", "{% set d = {} %}{% set d.x = 1 %}", [{}]),
    # macros and call blocks
    ("macro_basic", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} "
     "{{ greet(punct='.', name='C') }} {{ greet() }}", [{}]),
    ("macro_sees_outer", "{% macro m() %}{{ y }}{% endmacro %}{% set y = 5 %}{{ m() }}{% set y = 6 %}{{ m() }}", [{}]),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", [{}]),
    ("macro_render_content", "{%- macro render(c) -%}{%- if c is string -%}{{ c }}{%- else -%}{%- for p in c -%}"
     "{%- if p.type == 'text' -%}{{ p.text }}{%- endif -%}{%- endfor -%}{%- endif -%}{%- endmacro -%}"
     "{%- for m in messages -%}<{{ m.role }}>{{ render(m.content) }}{%- endfor -%}",
     [{"messages": [{"role": "user", "content": "plain"},
                    {"role": "user", "content": [{"type": "text", "text": "part1"}, {"type": "image"},
                                                 {"type": "text", "text": "part2"}]}]}]),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}"
     "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}", [{}]),
    ("error_macro_too_many_args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", [{}]),
    ("error_macro_infinite_recursion", "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}", [{}]),
    # filter block, generation block, globals
    ("filter_block", "{% filter upper %}shout {{ 'this' }}{% endfilter %}|{% filter replace('a', 'o')|trim %}  banana  {% endfilter %}", [{}]),
    ("generation_block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}",
     [{"messages": [{"role": "user", "content": "q "}, {"role": "assistant", "content": "a"}]}]),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%A %B') }}", [{}]),
    ("raise_exception", "before{% if fail %}{{ raise_exception('Custom failure: ' ~ reason) }}{% endif %}after",
     [{"fail": False, "reason": "x"}, {"fail": True, "reason": "bad roles"}]),
    ("dict_global", "{{ dict(a=1, b='x') }}|{{ dict(a=1).a }}", [{}]),
    ("object_equality", "{% for m in ms %}{{ m == ms[-1] }}{% endfor %}", [{"ms": [{"a": 1}, {"a": 2}, {"a": 1}]}]),
    # errors at parse time
    ("error_unclosed_for", "{% for x in y %}no end", [{}]),
    ("error_unclosed_if", "{% if x %}a{% elif y %}b", [{}]),
    ("error_unclosed_variable", "{{ x ", [{}]),
    ("error_unclosed_comment", "{# never closed", [{}]),
    ("error_unclosed_string", "{{ 'abc }}", [{}]),
    ("error_unknown_filter", "{{ x|no_such_filter }}", [{}]),
    ("error_unknown_test", "{{ x is no_such_test }}", [{}]),
    ("error_unknown_tag", "{% frobnicate %}", [{}]),
    ("error_stray_endfor", "{% endfor %}", [{}]),
    ("error_mismatched_end", "{% if true %}{% endfor %}", [{}]),
    ("error_bad_bracket", "{{ (1, 2] }}", [{}]),
    ("error_bad_char", "{{ 1 @ 2 }}", [{}]),
    ("error_missing_operand", "{{ 1 + }}", [{}]),
    ("error_call_undefined", "{{ nothing() }}", [{}]),
    ("error_call_non_callable", "{{ x() }}", [{"x": 1}]),
    ("error_raise_in_macro", "{% macro check(x) %}{% if not x %}{{ raise_exception('empty!') }}{% endif %}{% endmacro %}{{ check(0) }}", [{}]),
]


def render_all(env, cases):
    out = []
    for case in cases:
        try:
            rendered = env.from_string(case["source"]).render(**case["context"])
            result = {"expected": rendered}
        except Exception as exc:  # noqa: BLE001 - jinja2 raises many types; all mean "error"
            result = {"error": f"{type(exc).__name__}: {exc}"}
        entry = {k: v for k, v in case.items() if k != "source"}
        entry.update(result)
        out.append(entry)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smollm2-gguf", help="refresh templates/smollm2.jinja from this GGUF")
    args = parser.parse_args()
    if args.smollm2_gguf:
        (TEMPLATES / "smollm2.jinja").write_text(
            gguf_string(args.smollm2_gguf, "tokenizer.chat_template"), encoding="utf-8")

    env = make_environment()
    templates = {}
    cases = []
    for case in real_template_cases():
        name = case["template"]
        if name not in templates:
            templates[name] = (TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8")
        cases.append({**case, "source": templates[name]})
    for name, source, contexts in FEATURES:
        templates[name] = source
        for index, context in enumerate(contexts):
            cases.append({"template": name, "name": f"{name}#{index}", "context": context,
                          "source": source})

    document = {
        "generator": "tests/reference/render_templates.py",
        "jinja2": jinja2.__version__,
        "now": FIXED_NOW.isoformat(),
        "templates": templates,
        "cases": render_all(env, cases),
    }
    (DATA / "cases.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    errors = sum(1 for c in document["cases"] if "error" in c)
    print(f"wrote {len(document['cases'])} cases ({errors} expected errors) "
          f"from {len(templates)} templates to {DATA / 'cases.json'}")


if __name__ == "__main__":
    main()
