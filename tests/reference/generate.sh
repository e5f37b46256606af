#!/usr/bin/env bash
# Regenerates tests/data/reference/<model-stem>/ from llama.cpp for the default models:
#   tokenizer.jsonl  token ids of the make_corpus.py strings (add_special; some with parse_special)
#   logits.jsonl     top-32 logits and log-sum-exp at every position of each logits prompt
#   greedy.jsonl     64-token argmax continuation of each greedy prompt
#   meta.json        model SHA-256, llama.cpp version, and for each file its date and command
# Builds llama.cpp first when needed (build_llama_cpp.sh).
#
# Usage: tests/reference/generate.sh [tokenizer] [logits] [greedy]     (default: all three)
# All models get a part before the next part starts, so the cheap tokenizer data comes first.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly DATA_DIR="${REPO_DIR}/tests/data/reference"
readonly MODELS_DIR="${PARLEY_MODELS_DIR:-${XDG_DATA_HOME:-${HOME}/.local/share}/parley/models}"
readonly MODELS=(SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf)
PYTHON="${REPO_DIR}/.venv/bin/python"
[[ -x "${PYTHON}" ]] || PYTHON=python3

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(tokenizer logits greedy)
for part in "${parts[@]}"; do
    case "${part}" in
        tokenizer | logits | greedy) ;;
        *) echo "unknown part '${part}' (expected tokenizer, logits or greedy)" >&2; exit 2 ;;
    esac
done

for model in "${MODELS[@]}"; do
    [[ -f "${MODELS_DIR}/${model}" ]] || { echo "missing model ${MODELS_DIR}/${model}" >&2; exit 1; }
done

bin_dir="$("${SCRIPT_DIR}/build_llama_cpp.sh" | tail -n 1)"
llama_version="$(tr '\n' ' ' < "${bin_dir}/../llama_cpp_version.txt" | sed 's/ *$//')"

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT
"${PYTHON}" "${SCRIPT_DIR}/make_corpus.py" "${work_dir}/corpus" >&2

for part in "${parts[@]}"; do
    for model in "${MODELS[@]}"; do
        stem="${model%.gguf}"
        out_dir="${DATA_DIR}/${stem}"
        mkdir -p "${out_dir}"
        echo "[generate] ${stem}: ${part}" >&2
        start=$(date +%s)
        "${bin_dir}/dump_reference" "${part}" "${MODELS_DIR}/${model}" \
            "${work_dir}/corpus/${part}.txt" "${work_dir}/${part}.jsonl"
        mv "${work_dir}/${part}.jsonl" "${out_dir}/${part}.jsonl"
        echo "[generate] ${stem}: ${part} took $(($(date +%s) - start)) s" >&2

        "${PYTHON}" - "${out_dir}/meta.json" "${MODELS_DIR}/${model}" "${llama_version}" \
            "${part}" "tests/reference/generate.sh ${part} (runs: dump_reference ${part} ${model} <make_corpus.py ${part}.txt>)" <<'PY'
import datetime, hashlib, json, sys
from pathlib import Path

meta_path, model_path, version, part, command = sys.argv[1:]
meta_file = Path(meta_path)
meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
digest = hashlib.sha256()
with open(model_path, "rb") as model:
    for block in iter(lambda: model.read(1 << 20), b""):
        digest.update(block)
meta.update({
    "model": Path(model_path).name,
    "model_sha256": digest.hexdigest(),
    "llama_cpp": version,
    "source": "llama-cpp-python 0.3.36 sdist, vendor/llama.cpp (tests/reference/build_llama_cpp.sh)",
    "settings": "CPU, 2 threads, flash attention off, F16 KV cache, whole prompt in one batch, "
                "add_special=true, logits rounded to 5 significant digits",
})
meta.setdefault("files", {})[f"{part}.jsonl"] = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "command": command,
}
meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
PY
    done
done
du -sh "${DATA_DIR}" >&2
