#include <iostream>
#include <string>
#include <vector>

#include <filesystem>

#include "commands.h"
#include "inference/backend/compute_backend.h"
#include "inference/backend/cuda_plugin.h"
#include "inference/cpu/matmul.h"
#include "options.h"

namespace {

constexpr const char* kUsage = R"(parley-cli: the Parley engine's command-line tool

usage: parley-cli <command> [options]

commands:
  inspect --model FILE       print a GGUF file's architecture, metadata, tensor types and chat
                             template; exit 2 with "error: FILE: problem" for a bad file
  models [--models-dir DIR]  list the models installed in DIR (default: $PARLEY_MODELS_DIR, or
                             $XDG_DATA_HOME/parley/models)
  tokenize --model FILE --text TEXT [--json] [--no-special] [--parse-special]
                             print the token ids (and pieces) of TEXT
  generate --model FILE --prompt TEXT [--raw] [--system TEXT] [--max-tokens N]
           [--temperature T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
           [--seed S] [--threads N] [--ctx N]
                             stream an answer to stdout; without --raw the prompt is a user
                             message rendered through the model's chat template, with --raw it
                             is plain text (BOS as the model's metadata says); stats to stderr
  bench --model FILE [--threads N] [--prompt-tokens 512] [--gen-tokens 128]
        [--repetitions 3] [--json]
                             prefill and decode tokens/s like llama-bench's pp512/tg128
  bench --model FILE --concurrency C[,C...] [--threads N] [--gen-tokens 128] [--json]
        [--token-budget T] [--prefill-while-decoding COST] [--step-log OUT.jsonl]
                             C chat streams at once through the serving engine, each
                             generating exactly gen-tokens: aggregate and per-stream
                             tokens/s, TTFT p50/p90/p99 (--json: one object per C)
  bench --model FILE --shared-prefix TEXTFILE [--threads N] [--token-budget T]
                             a follow-up turn sharing TEXTFILE's text with a finished first
                             turn: TTFT cold, first turn and warm (prefix cache), as JSON
  bench --model FILE --interfere TEXTFILE [--streams 8] [--gen-tokens N] [--threads N]
        [--token-budget T] [--prefill-while-decoding COST] [--step-log OUT.jsonl] [--control]
                             TEXTFILE as one prompt arriving while the streams decode: their
                             inter-token latency p50/p99 before and during its prefill, as JSON
                             (--control: and over the same tokens of a rerun without it);
                             COST caps a step's prompt tokens while streams decode (tokens at
                             position 0; 0: no cap); --step-log writes every engine step
  devices [--backend cpu|cuda|auto]
                             list the compute backends this build can use and the one the
                             choice (default auto: CUDA when a usable device is present)
                             selects; --backend cuda fails (exit 1) when it cannot be used

options:
  -h, --help                 show this help
)";

// The backend `choice` resolves to on this machine: CUDA only when the plug-in (beside the
// executable, in ../lib) loads and finds a usable device.
int runDevices(const std::vector<std::string>& args) {
    auto o = parley::cli::Options::parse(args, {"--backend"}, {});
    if (!o)
        return 2;
    const auto choice = parley::backend::parseBackendChoice(o->get("--backend", "auto"));
    if (!choice) {
        std::cerr << "error: --backend must be cpu, cuda or auto\n";
        return 2;
    }
    std::cout << "cpu: available (" << parley::cpu::isaName(parley::cpu::detectedIsa()) << ")\n";
    std::string cudaProblem = "not built (configure with nvcc present or -DPARLEY_CUDA=ON)";
#ifdef PARLEY_HAVE_CUDA
    std::error_code ec;
    const auto path = parley::backend::CudaPlugin::besideExecutable(
        std::filesystem::read_symlink("/proc/self/exe", ec));
    auto plugin = parley::backend::CudaPlugin::load(path);
    if (!plugin) {
        cudaProblem = plugin.error().message;
    } else if (auto devices = (*plugin)->describeDevices(); devices) {
        cudaProblem.clear();
        std::cout << "cuda: plug-in " << path.string() << ": " << *devices << "\n";
    } else {
        cudaProblem = "plug-in " + path.string() + ": " + devices.error().message;
    }
#endif
    if (!cudaProblem.empty())
        std::cout << "cuda: " << cudaProblem << "\n";
    if (*choice == parley::backend::BackendChoice::Cuda && !cudaProblem.empty()) {
        std::cerr << "error: --backend cuda: " << cudaProblem << "\n";
        return 1;
    }
    const bool cuda = *choice != parley::backend::BackendChoice::Cpu && cudaProblem.empty();
    std::cout << "selected: " << (cuda ? "cuda" : "cpu") << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    if (command == "inspect")
        return parley::cli::runInspect(args);
    if (command == "models")
        return parley::cli::runModels(args);
    if (command == "tokenize")
        return parley::cli::runTokenize(args);
    if (command == "generate")
        return parley::cli::runGenerate(args);
    if (command == "bench")
        return parley::cli::runBench(args);
    if (command == "devices")
        return runDevices(args);
    std::cerr << "error: unknown command '" << command << "' (see parley-cli --help)\n";
    return 2;
}
