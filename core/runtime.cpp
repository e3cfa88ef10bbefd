#include "runtime.h"

#include "errors.h"

#include <ATen/Context.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <QtGlobal>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace lts {

namespace {

    using SetThreadsFn = void (*)(int);
    using GetConfigFn = char* (*)();

    // The value of the first /proc/cpuinfo line that starts with `key` ("model name", "flags").
    std::string cpuInfo(const std::string& key)
    {
        std::ifstream in("/proc/cpuinfo");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos)
                return line.substr(line.find(':') + 1);
        return {};
    }

    std::string readCpuModel()
    {
        const std::string model = cpuInfo("model name");
        return model.size() > 1 ? model.substr(1) : "unknown CPU";
    }

    double readMemInfoMb(const char* key)
    {
        std::ifstream in("/proc/meminfo");
        std::string name;
        double kb = 0;
        std::string unit;
        while (in >> name >> kb >> unit)
            if (name == key)
                return kb / 1024.0;
        return 0;
    }

} // namespace

double availableMemoryMb()
{
    return readMemInfoMb("MemAvailable:");
}

ComputeDevice parseComputeDevice(const std::string& device)
{
    if (device == "cpu")
        return {};
    if (device == "cuda")
        return { true, 0 };
    if (device.rfind("cuda:", 0) == 0) {
        const std::string rest = device.substr(5);
        if (!rest.empty() && rest.size() < 4 && rest.find_first_not_of("0123456789") == std::string::npos)
            return { true, std::stoi(rest) };
    }
    throw InputError("device", "must be \"cpu\", \"cuda\" or \"cuda:N\", not \"" + device + "\"");
}

void requireComputeDevice(const ComputeDevice& d)
{
    if (!d.cuda)
        return;
#ifdef LTS_HAVE_CUDA
    if (!torch::cuda::is_available() || d.index >= int(torch::cuda::device_count()))
        throw InputError("device", "no CUDA device " + std::to_string(d.index) + " on this machine");
#else
    throw InputError("device", "this LibTorch build has no CUDA support; use \"cpu\"");
#endif
}

namespace {

    bool cpuHasBf16()
    {
        std::istringstream flags(cpuInfo("flags"));
        std::string f;
        while (flags >> f)
            if (f == "avx512_bf16" || f == "amx_bf16")
                return true;
        return false;
    }

} // namespace

std::string selectInt8Engine()
{
    const auto& engines = at::globalContext().supportedQEngines();
    for (const auto& [engine, name] : { std::pair { at::QEngine::FBGEMM, "FBGEMM" },
             std::pair { at::QEngine::ONEDNN, "oneDNN" }, std::pair { at::QEngine::QNNPACK, "QNNPACK" } })
        if (std::find(engines.begin(), engines.end(), engine) != engines.end()) {
            if (at::globalContext().qEngine() != engine)
                at::globalContext().setQEngine(engine);
            return name;
        }
    return {};
}

std::string precisionDeviceRule(const ComputeDevice& d, Precision p)
{
    if (p == Precision::Fp16 && !d.cuda)
        return "fp16 runs on CUDA devices only; on a CPU use fp32, bf16 or int8";
    if (p == Precision::Int8 && d.cuda)
        return "int8 dynamic quantisation runs on CPUs; on a CUDA device use fp32, bf16 or fp16";
    return {};
}

std::string precisionUnsupported(const ComputeDevice& d, Precision p)
{
    if (std::string rule = precisionDeviceRule(d, p); !rule.empty())
        return rule;
    if (d.cuda || p == Precision::Fp32 || p == Precision::Fp16)
        return {};
    if (p == Precision::Bf16) {
        if (!cpuHasBf16())
            return "bf16 needs a CPU with AVX-512 BF16 or AMX, and " + readCpuModel() + " has neither; use fp32";
        if (!at::hasMKLDNN())
            return "bf16 needs a LibTorch with oneDNN, and this one has none (its bf16 products would run on "
                   "generic loops); use fp32";
        return {};
    }
    return selectInt8Engine().empty() ? "this LibTorch has no quantised engine (FBGEMM, oneDNN or QNNPACK) for int8"
                                      : std::string();
}

void requirePrecision(const ComputeDevice& d, Precision p)
{
    const std::string why = precisionUnsupported(d, p);
    if (!why.empty())
        throw InputError("precision", why);
}

namespace {

    SetThreadsFn openBlasSetThreads()
    {
        static const auto fn = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
        return fn;
    }

} // namespace

ThreadBinding threadBinding(int threads)
{
    // OpenBLAS keeps a pool of its own beside LibTorch's (OpenMP) intra-op pool. Both sized to the
    // cores means twice as many busy threads as cores: each pool spins while the other computes,
    // and a pass ran up to 2.2x slower on 2 threads than with one pool owning the cores. The
    // matrix products are most of the work, so OpenBLAS gets the cores. Where the BLAS has no pool
    // of its own (MKL inside LibTorch, reference BLAS), LibTorch's setting is the only one.
    if (threads > 1 && openBlasSetThreads())
        return { 1, threads };
    return { threads, openBlasSetThreads() ? threads : 0 };
}

std::string threadBindingText(int threads)
{
    const ThreadBinding b = threadBinding(threads);
    std::string text = "threads " + std::to_string(threads);
    if (threads > 1 && b.blas > 0)
        text += " (OpenBLAS " + std::to_string(b.blas) + ", LibTorch intra-op " + std::to_string(b.intraOp) + ")";
    return text;
}

void setComputeThreads(int threads)
{
    const ThreadBinding b = threadBinding(threads);
    torch::set_num_threads(b.intraOp);
    // Uninitialised weights may hold denormals, which would slow the calling thread's kernels.
    at::globalContext().setFlushDenormal(true);
    if (b.blas > 0)
        openBlasSetThreads()(b.blas);
}

RuntimeInfo runtimeInfo()
{
    static const RuntimeInfo info = [] {
        RuntimeInfo r;
        r.torchVersion = TORCH_VERSION;
        r.qtVersion = qVersion();
        if (auto getConfig = reinterpret_cast<GetConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
            r.blas = getConfig();
        else if (at::show_config().find("BLAS_INFO=mkl") != std::string::npos)
            r.blas = "MKL (built into LibTorch)"; // PyTorch's own builds; torch's thread setting binds it
        else {
            r.blas = "reference BLAS (no OpenBLAS loaded)";
            r.blasIsReference = true;
        }
        r.devices.push_back(
            { "cpu", readCpuModel(), int(std::thread::hardware_concurrency()), readMemInfoMb("MemTotal:") });
        r.cudaAvailable = torch::cuda::is_available();
#ifdef LTS_HAVE_CUDA
        for (std::size_t i = 0; r.cudaAvailable && i < std::size_t(torch::cuda::device_count()); ++i)
            r.devices.push_back({ "cuda:" + std::to_string(i), "CUDA device " + std::to_string(i), 0, 0 });
#endif
        return r;
    }();
    return info;
}

std::string blasWarning()
{
    const RuntimeInfo r = runtimeInfo();
    if (!r.blasIsReference)
        return {};
    return "warning: LibTorch is using the reference BLAS; every latency will be about 12x too slow. "
           "Install libopenblas0-pthread (apt-get install libopenblas0-pthread).";
}

std::string blasKernelNote()
{
    const std::string& blas = runtimeInfo().blas;
    if (blas.rfind("OpenBLAS", 0) != 0)
        return {};
    // OpenBLAS's cores before AVX; its configuration string names the one it runs.
    static const char* const oldCores[] = { " Prescott ", " Core2 ", " Penryn ", " Dunnington ", " Nehalem ", " Atom ",
        " Katmai ", " Coppermine ", " Northwood ", " Banias ", " Opteron ", " Barcelona " };
    std::string core;
    for (const char* c : oldCores)
        if (blas.find(c) != std::string::npos)
            core = std::string(c + 1, std::strlen(c) - 2);
    if (core.empty())
        return {};
    if ((cpuInfo("flags") + ' ').find(" avx2 ") == std::string::npos)
        return {};
    return "note: OpenBLAS runs its " + core
        + " kernels (no AVX) on this CPU, which has AVX2: it did not recognise the CPU model. Every latency is "
          "that of this slower code path; a deployment that sets OPENBLAS_CORETYPE (for example Haswell or "
          "SkylakeX) before starting would run faster, and should be measured that way.";
}

} // namespace lts
