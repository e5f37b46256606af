#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "inference/cpu/matmul.h"

#include <dlfcn.h>

#include <filesystem>

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
                             C chat streams at once through the serving engine, each
                             generating exactly gen-tokens: aggregate and per-stream
                             tokens/s, TTFT p50/p90/p99 (--json: one object per C)
  devices                    list the compute backends this build can use

options:
  -h, --help                 show this help
)";

#ifdef PARLEY_HAVE_CUDA
// The CUDA backend is a plug-in next to the executable's lib/ folder, loaded only when asked for.
std::string describeCudaPlugin() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const auto plugin = exe.parent_path().parent_path() / "lib" / "libparley_cuda.so";
    void* handle = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr)
        return std::string("not available (") + dlerror() + ")";
    using Describe = void (*)(char*, int);
    auto describe = reinterpret_cast<Describe>(dlsym(handle, "parley_cuda_describe_devices"));
    if (describe == nullptr)
        return "plug-in " + plugin.string() + " lacks its entry point";
    char buf[1024];
    describe(buf, sizeof buf);
    return std::string("plug-in ") + plugin.string() + ": " + buf;
}
#endif

int runDevices() {
    std::cout << "cpu: available (" << parley::cpu::isaName(parley::cpu::detectedIsa()) << ")\n";
#ifdef PARLEY_HAVE_CUDA
    std::cout << "cuda: " << describeCudaPlugin() << "\n";
#else
    std::cout << "cuda: not built (configure with nvcc present or -DPARLEY_CUDA=ON)\n";
#endif
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
        return runDevices();
    std::cerr << "error: unknown command '" << command << "' (see parley-cli --help)\n";
    return 2;
}
