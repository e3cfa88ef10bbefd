#include "profiler.h"

#include "errors.h"
#include "models_torch.h"
#include "paramcount.h"
#include "stats.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Version.h>
#include <c10/core/CPUAllocator.h>
#include <torch/cuda.h>
#include <torch/version.h>
#ifdef LTS_HAVE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

// LibTorch 2.3 made c10::Allocator::allocate() non-const and added the pure virtual copy_data().
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define LTS_TORCH_ALLOCATOR_2_3 1
#define LTS_ALLOCATE_CONST
#else
#define LTS_TORCH_ALLOCATOR_2_3 0
#define LTS_ALLOCATE_CONST const
#endif

#include <QtGlobal>

#include <dlfcn.h>
#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_map>

namespace lts {

namespace {

    constexpr double kMb = 1024.0 * 1024.0;
    constexpr std::uint64_t kIdsSeed = 42; // same token ids for every candidate
    // Refuse a model whose weights alone would take more than this share of available memory,
    // before allocating it: the kernel's OOM killer would otherwise end the whole search.
    constexpr double kMaxWeightsShareOfMemory = 0.8;

    // Large blocks are kept when freed and handed out again to a request of the same size, as a
    // deployed runtime reuses its buffers. Otherwise the system allocator gives them back to the
    // kernel after every forward pass, and each timed pass pays for faulting its activations in
    // again (about 4 ms per MB on some virtual machines): the machine's cost, not the model's.
    // Smaller blocks stay in the system allocator's heap anyway.
    constexpr std::size_t kReuseMinBytes = 128 * 1024; // glibc's default mmap threshold
    // Memory glibc keeps at the top of its heap when it shrinks it. Without it, whether a freed
    // model's heap is handed back to the kernel depends on what else the process allocated after
    // it: lts-search run kept it by accident (the search's records sit above it), the remote agent
    // did not, and each of its candidates faulted its memory in again before its first pass
    // (docs/benchmarks.md, remote devices). Set once, in every process that measures.
    constexpr int kHeapTopPadBytes = 256 * 1024 * 1024;
    // What a measuring process keeps of its heap for the next candidate: everything up to glibc's
    // largest trim threshold. Without it each candidate's weights and activations land in fresh
    // pages (large blocks are mapped and unmapped one by one), and its first pass pays for
    // faulting all of them in: on these virtual machines, 1.4 s before a 177 ms pass.
    constexpr int kHeapKeptBytes = std::numeric_limits<int>::max();
    bool s_keepHeap = true; // read once, when the tracking allocator is installed

    // Wraps LibTorch's CPU allocator to track the bytes currently held and their high-water mark,
    // and to reuse large freed blocks within a measurement. Thread-safe: tensors are freed on
    // whichever thread drops them last.
    class TrackingAllocator final : public c10::Allocator {
    public:
        explicit TrackingAllocator(c10::Allocator* inner)
            : m_inner(inner)
        {
        }

        c10::DataPtr allocate(size_t n) LTS_ALLOCATE_CONST override
        {
            c10::DataPtr inner;
            bool reused = false;
            if (n >= kReuseMinBytes) {
                std::lock_guard<std::mutex> lock(m_freeMutex);
                if (auto it = m_free.find(n); it != m_free.end() && !it->second.empty()) {
                    inner = std::move(it->second.back());
                    it->second.pop_back();
                    reused = true;
                }
            }
            if (!reused)
                inner = m_inner->allocate(n);
            void* data = inner.get();
            if (data == nullptr)
                return inner; // nothing to track or to free
            {
                std::lock_guard<std::mutex> lock(m_liveMutex);
                m_live.emplace(data, Block { std::move(inner), n });
            }
            const auto now = m_current.fetch_add(std::int64_t(n)) + std::int64_t(n);
            auto peak = m_peak.load();
            while (now > peak && !m_peak.compare_exchange_weak(peak, now)) { }
            // The context is the data pointer, so that raw_allocate() works too: oneDNN allocates
            // through it (bf16 and int8 weights and scratch), and those bytes count as well.
            return { data, data, &TrackingAllocator::release, c10::Device(c10::DeviceType::CPU) };
        }

        c10::DeleterFnPtr raw_deleter() const override { return &TrackingAllocator::release; }

#if LTS_TORCH_ALLOCATOR_2_3
        void copy_data(void* dest, const void* src, std::size_t count) const override
        {
            m_inner->copy_data(dest, src, count);
        }
#endif

        std::int64_t current() const
        {
            return m_current.load();
        }
        std::int64_t peak() const
        {
            return m_peak.load();
        }
        void resetPeak()
        {
            m_peak.store(m_current.load());
        }
        // Gives the kept blocks back; called after each measurement, so one candidate's buffers
        // neither serve nor burden the next.
        void releaseFreeBlocks()
        {
            std::map<std::size_t, std::vector<c10::DataPtr>> blocks;
            {
                std::lock_guard<std::mutex> lock(m_freeMutex);
                blocks.swap(m_free);
            }
        }

    private:
        struct Block {
            c10::DataPtr inner;
            std::size_t bytes = 0;
        };
        static void release(void* data)
        {
            if (data == nullptr) // raw_deallocate(nullptr), as free(nullptr)
                return;
            const TrackingAllocator& owner = *s_instance;
            Block block;
            {
                std::lock_guard<std::mutex> lock(owner.m_liveMutex);
                auto it = owner.m_live.find(data);
                block = std::move(it->second);
                owner.m_live.erase(it);
            }
            owner.m_current.fetch_sub(std::int64_t(block.bytes));
            if (block.bytes >= kReuseMinBytes) {
                std::lock_guard<std::mutex> lock(owner.m_freeMutex);
                owner.m_free[block.bytes].push_back(std::move(block.inner));
            }
        } // frees the inner allocation unless it was kept

    public:
        static inline const TrackingAllocator* s_instance = nullptr; // the one of the process

    private:
        c10::Allocator* m_inner;
        mutable std::atomic<std::int64_t> m_current { 0 };
        mutable std::atomic<std::int64_t> m_peak { 0 };
        mutable std::mutex m_freeMutex;
        mutable std::map<std::size_t, std::vector<c10::DataPtr>> m_free; // by size
        mutable std::mutex m_liveMutex;
        mutable std::unordered_map<const void*, Block> m_live; // held blocks, by data pointer
    };

    // Releases the allocator's kept blocks when a measurement ends, however it ends.
    struct FreeBlocksOnExit {
        ~FreeBlocksOnExit();
    };

    TrackingAllocator& trackingAllocator()
    {
        static TrackingAllocator* allocator = [] {
            mallopt(M_TOP_PAD, kHeapTopPadBytes);
            if (s_keepHeap) {
                // Every block from the heap, never from a mapping of its own, and the heap kept:
                // a new model reuses pages the last one faulted in.
                mallopt(M_MMAP_MAX, 0);
                mallopt(M_TRIM_THRESHOLD, kHeapKeptBytes);
            }
            auto* a = new TrackingAllocator(c10::GetCPUAllocator()); // lives as long as the process
            TrackingAllocator::s_instance = a;
            c10::SetCPUAllocator(a, /*priority=*/1);
            return a;
        }();
        return *allocator;
    }

    std::int64_t bytesOf(torch::nn::Module& m)
    {
        std::int64_t n = 0;
        for (const auto& p : m.parameters())
            n += std::int64_t(p.nbytes());
        for (const auto& b : m.buffers())
            n += std::int64_t(b.nbytes());
        return n;
    }

    FreeBlocksOnExit::~FreeBlocksOnExit()
    {
        trackingAllocator().releaseFreeBlocks();
    }

    double processCpuSeconds()
    {
        timespec ts {};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
    }

} // namespace

void keepHeapBetweenMeasurements(bool keep)
{
    s_keepHeap = keep;
}

double heapFreeMb()
{
    return double(mallinfo2().fordblks) / kMb;
}

std::string statusName(Measurement::Status s)
{
    switch (s) {
    case Measurement::Status::Ok:
        return "ok";
    case Measurement::Status::Failed:
        return "failed";
    case Measurement::Status::Cancelled:
        return "cancelled";
    case Measurement::Status::Lost:
        return "lost";
    }
    return "ok";
}

void MeasureProtocol::validate() const
{
    parseComputeDevice(device);
    requireRange("threads", threads, kThreadLimits);
    requireRange("batch", batch, kBatchLimits);
    if (!kProtocolSeqLenLimits.contains(seqLen))
        throw InputError("seq_len",
            "must be between " + std::to_string(kProtocolSeqLenLimits.lo) + " (the architecture's) and "
                + std::to_string(kProtocolSeqLenLimits.hi));
    requireRange("warmup", warmup, kWarmupLimits);
    requireRange("repeats", repeats, kRepeatLimits);
    requireRange("min_repeats", minRepeats, kRepeatLimits);
    if (!(tolerance >= kToleranceLimits.lo && tolerance < kToleranceLimits.hi))
        throw InputError("tolerance", "must be 0 (fixed repeats) or a fraction below 1");
    if (const std::string rule = precisionDeviceRule(parseComputeDevice(device), precision); !rule.empty())
        throw InputError("precision", rule);
    if (workload == Workload::Generate) {
        requireRange("prompt", prompt, kSeqLenLimits);
        requireRange("new_tokens", generate, kSeqLenLimits);
    }
}

void MeasureProtocol::validateFor(const ArchConfig& arch) const
{
    validate();
    if (arch.backbone != Backbone::Gpt2)
        return; // Transformer-XL has no position limit: its memory slides
    if (workload == Workload::Generate && prompt + generate > arch.seqLen)
        throw InputError("prompt",
            "prompt (" + std::to_string(prompt) + ") + new tokens (" + std::to_string(generate)
                + ") exceed the model's seq_len of " + std::to_string(arch.seqLen) + " positions");
    if (workload == Workload::Score && seqLen > arch.seqLen)
        throw InputError("seq_len",
            "a GPT-2 model cannot run " + std::to_string(seqLen) + " tokens with only " + std::to_string(arch.seqLen)
                + " positions");
}

TorchMeasurer::TorchMeasurer(MeasureProtocol protocol)
    : m_protocol(std::move(protocol))
{
    m_protocol.validate();
    requireComputeDevice(parseComputeDevice(m_protocol.device));
    requirePrecision(parseComputeDevice(m_protocol.device), m_protocol.precision);
    trackingAllocator();
}

std::string TorchMeasurer::fingerprint() const
{
    const RuntimeInfo& r = runtimeInfo();
    const ComputeDevice d = parseComputeDevice(m_protocol.device);
    std::string name = m_protocol.device;
    for (const auto& dev : r.devices)
        if (dev.id == (d.cuda ? "cuda:" + std::to_string(d.index) : std::string("cpu")))
            name += " " + dev.name;
    const std::string workload = m_protocol.workload == Workload::Generate
        ? "generate: prompt " + std::to_string(m_protocol.prompt) + ", new tokens "
            + std::to_string(m_protocol.generate) + ", matrix-vector decode"
        : "seq_len " + std::to_string(m_protocol.seqLen);
    // fp32 as before, so that caches of fp32 measurements still hit
    std::string precision;
    if (m_protocol.precision == Precision::Int8)
        precision = "; int8 (dynamic, " + selectInt8Engine() + ")";
    else if (m_protocol.precision != Precision::Fp32)
        precision = "; " + precisionName(m_protocol.precision);
    return name + "; " + threadBindingText(m_protocol.threads) + "; batch " + std::to_string(m_protocol.batch) + "; "
        + workload + precision + "; LibTorch " + r.torchVersion + "; " + r.blas;
}

namespace {

    // Timed passes of `pass`: at least minRepeats, at most repeats, stopping once the median is known
    // within the tolerance. False when cancelled.
    bool timePasses(const std::function<void()>& pass, const MeasureProtocol& p, const std::atomic<bool>& cancel,
        std::vector<double>& samples)
    {
        samples.clear();
        while (int(samples.size()) < p.repeats && !medianKnown(samples, p.minRepeats, p.tolerance)) {
            if (cancel.load())
                return false;
            const auto t0 = std::chrono::steady_clock::now();
            pass();
            samples.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        return true;
    }

    // Transformer-XL runs in steady state: enough warm-up calls to fill its memory before the last
    // warm-up call, which also measures the peak.
    int warmupPasses(const ArchConfig& arch, const MeasureProtocol& p, int tokens)
    {
        int warmup = std::max(p.warmup, 1);
        if (arch.backbone == Backbone::TransformerXL && arch.memLen > 0)
            warmup = std::max(warmup, (arch.memLen + tokens - 1) / tokens + 1);
        return warmup;
    }

} // namespace

namespace {

    // The high-water mark of memory on the device during one call of `pass`: the peak, and what
    // the pass allocated above what was held before it (its activations), in MB.
    PartCost peakOf(const std::function<void()>& pass, const ComputeDevice& dev, double& peakMb)
    {
        PartCost c;
        const auto t0 = std::chrono::steady_clock::now();
        if (dev.cuda) {
#ifdef LTS_HAVE_CUDA
            // LibTorch 2.x takes a c10::DeviceIndex (int8_t), 1.13 an int; [0] is the aggregate pool.
            namespace cca = c10::cuda::CUDACachingAllocator;
            const auto cudaIndex = static_cast<c10::DeviceIndex>(dev.index);
            const auto before = cca::getDeviceStats(cudaIndex).allocated_bytes[0].current;
            cca::resetPeakStats(cudaIndex);
            pass();
            torch::cuda::synchronize(dev.index);
            const auto peak = cca::getDeviceStats(cudaIndex).allocated_bytes[0].peak;
            peakMb = double(peak) / kMb;
            c.peakMb = double(peak - before) / kMb;
#endif
        } else {
            TrackingAllocator& alloc = trackingAllocator();
            const auto before = alloc.current();
            alloc.resetPeak();
            pass();
            const auto peak = alloc.peak();
            peakMb = double(peak) / kMb;
            c.peakMb = double(peak - before) / kMb;
        }
        c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        return c;
    }

    // A timing is taken again when its spread is too large for its tolerance (the repeats ran
    // out before the median was known) or when the process ran for less than this share of the
    // wall time (another process held the CPU); the steadiest of the attempts is kept.
    constexpr int kMaxRetimes = 2;
    constexpr double kMinCpuShare = 0.9;
    // A confirmation times two more passes than the protocol's minimum, and at least five.
    constexpr int kConfirmExtraRepeats = 2;
    constexpr int kConfirmMinRepeats = 5;

    struct Timing {
        std::vector<double> samples;
        double cpuUtilisation = 0;
        bool troubled = false;
        double relativeSpread() const
        {
            const SampleSummary s = summarize(samples);
            return s.median > 0 ? s.iqr() / s.median : 0;
        }
    };

    // Timings taken by `attempt(t, cpuShare)` (false: cancelled) again while they are troubled,
    // at most kMaxRetimes more times; the steadiest is kept in `best`. `cpuShare()` is the
    // process's CPU time over the wall time since the attempt began. False when cancelled.
    template <typename T, typename Attempt> bool keepSteadiest(Attempt attempt, T& best, int& retimed)
    {
        retimed = 0;
        for (int i = 0; i <= kMaxRetimes; ++i) {
            T t;
            const double cpu0 = processCpuSeconds();
            const auto wall0 = std::chrono::steady_clock::now();
            auto cpuShare = [&] {
                const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
                return wall > 0 ? (processCpuSeconds() - cpu0) / wall : 0;
            };
            if (!attempt(t, cpuShare))
                return false;
            const bool better = i == 0 || (best.troubled && !t.troubled)
                || (best.troubled == t.troubled && t.relativeSpread() < best.relativeSpread());
            if (better)
                best = std::move(t);
            if (!best.troubled)
                break;
            if (i < kMaxRetimes)
                ++retimed;
        }
        return true;
    }

    // Timed passes with the checks above; false when cancelled.
    bool timeSteadily(const std::function<void()>& pass, const MeasureProtocol& p, bool cuda,
        const std::atomic<bool>& cancel, Timing& best, int& retimed)
    {
        return keepSteadiest(
            [&](Timing& t, const auto& cpuShare) {
                if (!timePasses(pass, p, cancel, t.samples))
                    return false;
                t.cpuUtilisation = cpuShare();
                const bool spread = p.tolerance > 0 && !medianKnown(t.samples, p.minRepeats, p.tolerance);
                t.troubled = spread || (!cuda && t.cpuUtilisation < kMinCpuShare);
                return true;
            },
            best, retimed);
    }

} // namespace

namespace {

    using Clock = std::chrono::steady_clock;
    double msSince(Clock::time_point t0)
    {
        return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    }

    // The token ids a scoring pass of `arch` reads: the same for every candidate.
    torch::Tensor scoringIds(const ArchConfig& arch, const MeasureProtocol& protocol, const torch::Device& device)
    {
        const int tokens = protocol.seqLen > 0 ? protocol.seqLen : arch.seqLen;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(kIdsSeed);
        return torch::randint(arch.vocabSize, { protocol.batch, tokens }, gen, torch::kLong).to(device);
    }

    // The first pass faults its memory in and fills the caches: reported apart (m.coldMs), never
    // timed again. The last warm-up pass measures the peak; returns its cost (peakMb: above what
    // was held before it) and sets `absolutePeakMb`. False when cancelled.
    bool warmUp(const std::function<void()>& pass, const ArchConfig& arch, const MeasureProtocol& protocol,
        const ComputeDevice& dev, const std::atomic<bool>& cancel, Measurement& m, PartCost& last,
        double& absolutePeakMb)
    {
        const int tokens = protocol.seqLen > 0 ? protocol.seqLen : arch.seqLen;
        const int warmup = warmupPasses(arch, protocol, tokens);
        for (int i = 0; i + 1 < warmup; ++i) {
            if (cancel.load())
                return false;
            const auto t0 = Clock::now();
            pass();
            if (i == 0)
                m.coldMs = msSince(t0);
        }
        last = peakOf(pass, dev, absolutePeakMb);
        if (warmup == 1)
            m.coldMs = last.ms;
        return true;
    }

    // The latency figures of a measurement from its timed passes.
    void setLatency(Measurement& m, const std::vector<double>& samples)
    {
        const SampleSummary s = summarize(samples);
        m.latencyMs = s.median;
        m.latencyIqrMs = s.iqr();
        m.latencyQ1Ms = s.q1;
        m.latencyQ3Ms = s.q3;
        m.latencyMinMs = s.min;
        m.latencyMaxMs = s.max;
        m.repeats = int(samples.size());
        m.timedMs = std::accumulate(samples.begin(), samples.end(), 0.0);
    }

    // The Score workload on a built model: warm-up passes, the peak, then steady timing.
    void timeScoring(torchmodels::LanguageModel& model, const ArchConfig& arch, const MeasureProtocol& protocol,
        const ComputeDevice& dev, const torch::Device& device, const std::atomic<bool>& cancel, Measurement& m)
    {
        const auto ids = scoringIds(arch, protocol, device);
        auto pass = [&] {
            model.forward(ids);
            if (dev.cuda)
                torch::cuda::synchronize(dev.index);
        };
        PartCost last;
        if (!warmUp(pass, arch, protocol, dev, cancel, m, last, m.peakMemoryMb))
            return; // timed passes do not touch the peak counters
        m.activationsMb = last.peakMb;

        Timing t;
        if (!timeSteadily(pass, protocol, dev.cuda, cancel, t, m.retimed))
            return;
        m.cpuUtilisation = t.cpuUtilisation;
        setLatency(m, t.samples);
        m.status = Measurement::Status::Ok;
    }

    // Timed generations of one attempt: each run's prefill, every decode step, each run's median step.
    struct GenerationTiming {
        std::vector<double> prefills, decodes, runDecodeMedians;
        double cpuUtilisation = 0;
        bool troubled = false;
        double relativeSpread() const
        {
            const SampleSummary s = summarize(decodes.empty() ? prefills : decodes);
            return s.median > 0 ? s.iqr() / s.median : 0;
        }
    };

    // The Generate workload on a built model: the prompt, then token by token from a cache
    // allocated for the whole context when each run starts (startDecoding), greedily.
    void timeGeneration(torchmodels::LanguageModel& model, const ArchConfig& arch, const MeasureProtocol& protocol,
        const ComputeDevice& dev, const torch::Device& device, const std::atomic<bool>& cancel, Measurement& m)
    {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(kIdsSeed);
        const auto prompt =
            torch::randint(arch.vocabSize, { protocol.batch, protocol.prompt }, gen, torch::kLong).to(device);
        auto sync = [&] {
            if (dev.cuda)
                torch::cuda::synchronize(dev.index);
        };
        double prefill = 0;
        std::vector<double> steps;
        auto run = [&] {
            steps.clear();
            model.startDecoding(protocol.batch, protocol.prompt + protocol.generate, device);
            auto t0 = Clock::now();
            auto next = model.decode(prompt).argmax(-1, true);
            sync();
            prefill = msSince(t0);
            for (int i = 1; i < protocol.generate && !cancel.load(); ++i) {
                t0 = Clock::now();
                next = model.decode(next).argmax(-1, true);
                sync();
                steps.push_back(msSince(t0));
            }
        };
        // As for scoring: the first run faults memory in (its prefill is the cold figure), the
        // last warm-up run measures the peak over prompt and generation, cache included.
        const int warmup = std::max(protocol.warmup, 1);
        for (int i = 0; i + 1 < warmup; ++i) {
            if (cancel.load())
                return;
            run();
            if (i == 0)
                m.coldMs = prefill;
        }
        const PartCost last = peakOf(run, dev, m.peakMemoryMb);
        if (warmup == 1)
            m.coldMs = prefill;
        const std::int64_t positions = arch.backbone == Backbone::Gpt2
            ? protocol.prompt + protocol.generate
            : std::min<std::int64_t>(arch.memLen, protocol.prompt + protocol.generate - 1);
        const double elementBytes = double(c10::elementSize(torchmodels::floatType(protocol.precision)));
        m.cacheMb = double(arch.backbone == Backbone::Gpt2 ? 2 : 1) * arch.nLayer * protocol.batch * positions
            * arch.dModel * elementBytes / kMb;
        m.activationsMb = std::max(0.0, last.peakMb - m.cacheMb);

        // Runs until the medians of the prefill and of each run's decode steps are both known
        // within the tolerance; timed again, like scoring, when they are not or the CPU was shared.
        auto known = [&](const GenerationTiming& t) {
            return medianKnown(t.prefills, protocol.minRepeats, protocol.tolerance)
                && (protocol.generate == 1 || medianKnown(t.runDecodeMedians, protocol.minRepeats, protocol.tolerance));
        };
        GenerationTiming best;
        const bool done = keepSteadiest(
            [&](GenerationTiming& t, const auto& cpuShare) {
                while (int(t.prefills.size()) < protocol.repeats && !known(t)) {
                    if (cancel.load())
                        return false;
                    run();
                    t.prefills.push_back(prefill);
                    t.decodes.insert(t.decodes.end(), steps.begin(), steps.end());
                    if (!steps.empty())
                        t.runDecodeMedians.push_back(summarize(steps).median);
                }
                t.cpuUtilisation = cpuShare();
                t.troubled = (protocol.tolerance > 0 && !known(t)) || (!dev.cuda && t.cpuUtilisation < kMinCpuShare);
                return true;
            },
            best, m.retimed);
        if (!done)
            return;
        m.cpuUtilisation = best.cpuUtilisation;
        const SampleSummary p = summarize(best.prefills);
        m.prefillMs = p.median;
        m.prefillIqrMs = p.iqr();
        m.repeats = int(best.prefills.size());
        m.decodeSteps = int(best.decodes.size());
        m.timedMs = std::accumulate(best.prefills.begin(), best.prefills.end(), 0.0)
            + std::accumulate(best.decodes.begin(), best.decodes.end(), 0.0);
        if (!best.decodes.empty()) {
            const SampleSummary d = summarize(best.decodes);
            m.decodeMsPerToken = d.median;
            m.decodeIqrMs = d.iqr();
            m.tokensPerS = d.median > 0 ? 1000.0 * protocol.batch / d.median : 0;
        }
        m.status = Measurement::Status::Ok;
    }

    // A model built for measuring on the protocol's device (uninitialised weights), and what it holds.
    struct BuiltModel {
        std::shared_ptr<torchmodels::LanguageModel> model;
        std::int64_t bytes = 0; // on a CPU, what the tracking allocator holds for it
    };

    // Checks `arch` against the protocol and the memory left (`othersMb`: models already built
    // beside it), then builds it; sets m.buildMs and m.weightsMb. Throws on failure.
    BuiltModel buildForMeasuring(const MeasureProtocol& protocol, const ArchConfig& arch, const ComputeDevice& dev,
        const torch::Device& device, Measurement& m, double othersMb = 0)
    {
        validate(arch);
        protocol.validateFor(arch);
        const double weightsMb = double(countParams(arch).total()) * sizeof(float) / kMb;
        // The heap kept from earlier candidates is free for this one.
        const double availableMb = availableMemoryMb() + heapFreeMb() - othersMb;
        if (!dev.cuda && availableMb > 0 && weightsMb > kMaxWeightsShareOfMemory * availableMb)
            throw std::runtime_error("out of memory: the weights need " + std::to_string(int(weightsMb)) + " MB, "
                + std::to_string(int(availableMb)) + " MB are available");
        trackingAllocator(); // installed before the weights are allocated, so the peak counts them
        setComputeThreads(protocol.threads);
        const auto buildStart = Clock::now();
        const std::int64_t heldBefore = trackingAllocator().current();
        BuiltModel built;
        {
            torch::NoGradGuard noGrad; // per thread: made here, in the measuring thread
            // int8 derives its scales from the weights: they must be numbers
            built.model = torchmodels::buildModel(
                arch, protocol.precision == Precision::Int8 ? torchmodels::Init::Random : torchmodels::Init::None);
            built.model->eval();
            torchmodels::prepare(*built.model, device, protocol.precision);
        }
        m.buildMs = msSince(buildStart);
        // On a CPU, what the allocator holds once the model is ready: int8 weights are packed
        // by the quantised engine, which also keeps the quantised originals, as PyTorch does.
        built.bytes = dev.cuda ? bytesOf(*built.model) : trackingAllocator().current() - heldBefore;
        m.weightsMb = double(built.bytes) / kMb;
        return built;
    }

    // Runs `body`, turning what it throws into a failed measurement.
    template <typename Body> void failOnThrow(Measurement& m, Body body)
    {
        try {
            body();
        } catch (const c10::Error& e) {
            m.status = Measurement::Status::Failed;
            m.error = e.what_without_backtrace();
        } catch (const std::bad_alloc&) {
            m.status = Measurement::Status::Failed;
            m.error = "out of memory";
        } catch (const std::exception& e) {
            m.status = Measurement::Status::Failed;
            m.error = e.what();
        }
    }

    // Builds the model (uninitialised weights) and times the protocol's workload on it.
    Measurement measureArch(const MeasureProtocol& protocol, const ArchConfig& arch, const std::atomic<bool>& cancel)
    {
        const auto start = Clock::now();
        Measurement m;
        m.status = Measurement::Status::Cancelled;
        m.generation = protocol.workload == Workload::Generate;
        if (cancel.load())
            return m;
        const ComputeDevice dev = parseComputeDevice(protocol.device);
        const torch::Device device = dev.cuda ? torch::Device(torch::kCUDA, dev.index) : torch::Device(torch::kCPU);
        const FreeBlocksOnExit freeBlocks; // declared before the model, so it runs after the model is gone
        failOnThrow(m, [&] {
            const BuiltModel built = buildForMeasuring(protocol, arch, dev, device, m);
            c10::InferenceMode inference; // per thread, like the guard above
            if (m.generation)
                timeGeneration(*built.model, arch, protocol, dev, device, cancel, m);
            else
                timeScoring(*built.model, arch, protocol, dev, device, cancel, m);
        });
        m.measureMs = msSince(start);
        return m;
    }

    // Confirmations interleaved: at most this many models at once, holding at most this share
    // of the memory available (a round of many slow models would span the device's drift).
    constexpr std::size_t kMaxInterleaved = 4;
    constexpr double kInterleavedMemoryShare = 0.5;
    constexpr std::uint64_t kRoundOrderSeed = 7; // rounds are shuffled alike in every run

    // One group of confirmations, interleaved (see TorchMeasurer::confirmTogether); `out` is
    // parallel to `archs`.
    void confirmInterleaved(const MeasureProtocol& protocol, const std::vector<ArchConfig>& archs,
        const std::atomic<bool>& cancel, Measurement* out)
    {
        const ComputeDevice dev = parseComputeDevice(protocol.device);
        const torch::Device device = dev.cuda ? torch::Device(torch::kCUDA, dev.index) : torch::Device(torch::kCPU);
        const FreeBlocksOnExit freeBlocks; // declared before the models
        struct Entry {
            BuiltModel built;
            torch::Tensor ids;
            std::vector<double> samples;
            double ownMs = 0; // its build, warm-up and timed passes
        };
        std::vector<Entry> entries(archs.size());
        std::vector<std::size_t> live; // built and warmed up
        double heldMb = 0;
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < archs.size(); ++i) {
            Measurement& m = out[i];
            m = Measurement {};
            m.status = Measurement::Status::Cancelled;
            if (cancel.load())
                continue;
            const auto start = Clock::now();
            failOnThrow(m, [&] {
                Entry& e = entries[i];
                e.built = buildForMeasuring(protocol, archs[i], dev, device, m, heldMb);
                e.ids = scoringIds(archs[i], protocol, device);
                c10::InferenceMode inference;
                auto pass = [&] {
                    e.built.model->forward(e.ids);
                    if (dev.cuda)
                        torch::cuda::synchronize(dev.index);
                };
                PartCost last;
                double absolutePeakMb = 0;
                if (!warmUp(pass, archs[i], protocol, dev, cancel, m, last, absolutePeakMb))
                    return; // stays cancelled
                m.activationsMb = last.peakMb;
                // The peak of this model alone: the others built beside it are not its memory.
                m.peakMemoryMb = absolutePeakMb - (dev.cuda ? 0.0 : heldMb);
                heldMb += m.weightsMb;
                live.push_back(i);
                m.status = Measurement::Status::Ok;
            });
            entries[i].ownMs = msSince(start);
        }
        // Rounds: every live model once, in a shuffled order; a round in which another process
        // held the CPU is taken again (at most kMaxRetimes times).
        std::mt19937_64 rng(kRoundOrderSeed);
        // A model leaves the rounds once its median is known within the tolerance.
        auto timing = [&] {
            std::vector<std::size_t> left;
            for (std::size_t i : live)
                if (!medianKnown(entries[i].samples, protocol.minRepeats, protocol.tolerance))
                    left.push_back(i);
            return left;
        };
        int rounds = 0, retimed = 0;
        c10::InferenceMode inference;
        for (std::vector<std::size_t> order = timing(); !order.empty() && rounds < protocol.repeats; order = timing()) {
            std::shuffle(order.begin(), order.end(), rng);
            const double cpu0 = processCpuSeconds();
            const auto wall0 = Clock::now();
            std::vector<double> round(archs.size(), 0);
            for (std::size_t i : order) {
                if (cancel.load()) {
                    for (std::size_t j : live)
                        out[j].status = Measurement::Status::Cancelled;
                    return;
                }
                const auto t0 = Clock::now();
                entries[i].built.model->forward(entries[i].ids);
                if (dev.cuda)
                    torch::cuda::synchronize(dev.index);
                round[i] = msSince(t0);
            }
            const double wall = std::chrono::duration<double>(Clock::now() - wall0).count();
            const double share = wall > 0 ? (processCpuSeconds() - cpu0) / wall : 1;
            if (!dev.cuda && share < kMinCpuShare && retimed < kMaxRetimes) {
                ++retimed;
                continue;
            }
            for (std::size_t i : order) {
                entries[i].samples.push_back(round[i]);
                entries[i].ownMs += round[i];
                out[i].cpuUtilisation = share;
            }
            ++rounds;
        }
        for (std::size_t i : live) {
            Measurement& m = out[i];
            setLatency(m, entries[i].samples);
            m.retimed = retimed;
            m.confirmed = true;
        }
        for (std::size_t i = 0; i < archs.size(); ++i)
            out[i].measureMs = entries[i].ownMs;
    }

} // namespace

Measurement TorchMeasurer::measure(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    return measureArch(m_protocol, arch, cancel);
}

Measurement TorchMeasurer::confirm(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    if (m_protocol.workload == Workload::Score)
        return confirmTogether({ arch }, cancel).front();
    MeasureProtocol p = m_protocol;
    p.minRepeats = std::max(p.minRepeats + kConfirmExtraRepeats, kConfirmMinRepeats);
    p.repeats = std::max(p.repeats, p.minRepeats);
    Measurement m = measureArch(p, arch, cancel);
    m.confirmed = m.status == Measurement::Status::Ok;
    return m;
}

std::vector<Measurement> TorchMeasurer::confirmTogether(
    const std::vector<ArchConfig>& archs, const std::atomic<bool>& cancel)
{
    if (m_protocol.workload == Workload::Generate)
        return Measurer::confirmTogether(archs, cancel);
    std::vector<Measurement> out(archs.size());
    const double roomMb = kInterleavedMemoryShare * (availableMemoryMb() + heapFreeMb());
    for (std::size_t from = 0; from < archs.size();) {
        std::size_t to = from;
        double mb = 0;
        while (to < archs.size() && to - from < kMaxInterleaved) {
            const double weightsMb = double(countParams(archs[to]).total()) * sizeof(float) / kMb;
            if (to > from && roomMb > 0 && mb + weightsMb > roomMb)
                break;
            mb += weightsMb;
            ++to;
        }
        confirmInterleaved(m_protocol,
            std::vector<ArchConfig>(archs.begin() + std::ptrdiff_t(from), archs.begin() + std::ptrdiff_t(to)), cancel,
            out.data() + from);
        from = to;
    }
    return out;
}

Measurement measureGeneration(const ArchConfig& arch, const MeasureProtocol& protocol, const std::atomic<bool>& cancel)
{
    MeasureProtocol p = protocol;
    p.workload = Workload::Generate;
    validate(arch);
    p.validateFor(arch);
    requireComputeDevice(parseComputeDevice(p.device));
    return measureArch(p, arch, cancel);
}

std::optional<Estimate> TorchMeasurer::estimate(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    const int tokens = m_protocol.seqLen > 0 ? m_protocol.seqLen : arch.seqLen;
    return m_table.estimate(
        arch, m_protocol.batch, tokens, [&](const PartToTime& part) { return timePart(part, cancel); });
}

namespace {

    // Parts are timed like full candidates but with fewer passes: they are many and short.
    constexpr int kPartMaxRepeats = 7;
    constexpr double kPartTolerance = 0.03;

} // namespace

// One part alone on the device: the embedding and head of a one-layer model whose layers are
// skipped, or one attention or feed-forward block on random activations.
std::optional<PartCost> TorchMeasurer::timePart(const PartToTime& part, const std::atomic<bool>& cancel)
{
    const FreeBlocksOnExit freeBlocks; // declared before the part's module and tensors
    const ArchConfig& arch = part.arch;
    const int tokens = part.tokens;
    const ComputeDevice dev = parseComputeDevice(m_protocol.device);
    const torch::Device device = dev.cuda ? torch::Device(torch::kCUDA, dev.index) : torch::Device(torch::kCPU);
    const std::int64_t b = m_protocol.batch, d = arch.dModel;
    const bool xl = arch.backbone == Backbone::TransformerXL;
    const int nHead = part.part == LatencyPart::Attention ? part.width : 1;
    const int dInner = part.part == LatencyPart::FeedForward ? part.width : 1;
    setComputeThreads(m_protocol.threads);
    torch::NoGradGuard noGrad;
    const bool int8 = m_protocol.precision == Precision::Int8;
    torchmodels::InitScope init(int8 ? torchmodels::Init::Random : torchmodels::Init::None);
    std::function<void()> pass; // owns the module it runs
    torch::Tensor x, r, mem, mask, causal, ids;
    const auto options = torch::TensorOptions().device(device).dtype(torchmodels::floatType(m_protocol.precision));
    if (part.part == LatencyPart::Head) {
        ArchConfig one = arch;
        one.nLayer = 1;
        one.nHead = { 1 };
        one.dInner = { 1 };
        auto model = torchmodels::buildModel(one, int8 ? torchmodels::Init::Random : torchmodels::Init::None);
        model->skipLayers = true;
        torchmodels::prepare(*model, device, m_protocol.precision);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(kIdsSeed);
        ids = torch::randint(arch.vocabSize, { b, tokens }, gen, torch::kLong).to(device);
        pass = [model, &ids] { model->forward(ids); };
    } else if (!xl) {
        auto block = torchmodels::Gpt2Block(arch.dModel, nHead, dInner);
        torchmodels::prepare(*block, device, m_protocol.precision);
        x = torch::randn({ b, tokens, d }, options);
        causal = torch::ones({ tokens, tokens }, options.dtype(torch::kBool)).triu(1);
        if (part.part == LatencyPart::Attention)
            pass = [block, &x, &causal]() mutable { block->attentionPart(x, causal); };
        else
            pass = [block, &x]() mutable { block->mlpPart(x); };
    } else {
        auto layer = torchmodels::XlLayer(arch.dModel, nHead, dInner);
        torchmodels::prepare(*layer, device, m_protocol.precision);
        x = torch::randn({ tokens, b, d }, options);
        mem = torch::randn({ arch.memLen, b, d }, options);
        const std::int64_t klen = tokens + arch.memLen;
        auto posSeq = torch::arange(double(klen - 1), -1.0, -1.0, options);
        auto invFreq = 1.0 / torch::pow(10000.0, torch::arange(0.0, double(d), 2.0, options) / double(d));
        auto sinusoid = torch::outer(posSeq, invFreq);
        r = torch::cat({ sinusoid.sin(), sinusoid.cos() }, -1);
        mask = torchmodels::TransformerXlModelImpl::causalMask(tokens, arch.memLen, options);
        if (part.part == LatencyPart::Attention)
            pass = [layer, &x, &r, &mem, &mask]() mutable { layer->attn(x, r, mem, mask); };
        else
            pass = [layer, &x]() mutable { layer->feedForwardPart(x); };
    }
    c10::InferenceMode inference;
    auto synced = [&] {
        pass();
        if (dev.cuda)
            torch::cuda::synchronize(dev.index);
    };
    synced(); // warm-up
    double peakMb = 0;
    PartCost cost;
    cost.peakMb = peakOf(synced, dev, peakMb).peakMb;
    MeasureProtocol p = m_protocol;
    p.repeats = std::min(p.repeats, kPartMaxRepeats);
    p.tolerance = std::max(p.tolerance, kPartTolerance);
    std::vector<double> samples;
    if (!timePasses(synced, p, cancel, samples))
        return std::nullopt;
    cost.ms = summarize(samples).median;
    return cost;
}

BuiltModelInfo inspectModel(const ArchConfig& arch, int batch, int tokens, bool runForward)
{
    validate(arch);
    BuiltModelInfo info;
    torch::NoGradGuard noGrad;
    auto model = torchmodels::buildModel(arch);
    info.decoderParams = model->decoderParamCount();
    info.totalParams = torchmodels::countDistinctParams(*model);
    if (runForward) {
        c10::InferenceMode inference;
        auto ids = torch::randint(arch.vocabSize, { batch, tokens }, torch::kLong);
        info.outputShape = model->forward(ids).sizes().vec();
    }
    return info;
}

} // namespace lts
