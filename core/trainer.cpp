#include "trainer.h"

#include "configlimits.h"
#include "errors.h"
#include "models_torch.h"
#include "paramcount.h"
#include "runtime.h"

#include <torch/torch.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <new>
#include <random>

namespace lts {

namespace tm = torchmodels;

namespace {

    using Clock = std::chrono::steady_clock;

    constexpr double kInitStd = 0.02; // both papers' initialiser range
    constexpr double kXlProjStd = 0.01; // Transformer-XL's proj_init_std
    constexpr int kCurvePoints = 200;
    // Weights, their gradients and AdamW's two moments: four floats per parameter, at most this
    // share of the memory available, or the architecture is recorded failed before anything is
    // allocated (the kernel's OOM killer would end the whole audit instead).
    constexpr double kStateFloatsPerParam = 4;
    constexpr double kMaxShareOfMemory = 0.8;

    // Every step frees its activations and allocates them again. By default glibc hands large
    // blocks back to the kernel (mmap'd ones, and the heap's top above the trim threshold) and
    // the next step faults them in again, which on these VMs costs more than the arithmetic:
    // keeping them in the heap trained a 3.7M-parameter GPT-2 at 3,000 instead of 2,560 tokens/s
    // (docs/benchmarks.md, "Training throughput"). Process-wide, set once.
    void keepFreedMemoryInHeap()
    {
        static const bool done = [] {
            mallopt(M_MMAP_THRESHOLD, 256 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
            mallopt(M_TOP_PAD, 256 << 20);
            return true;
        }();
        (void)done;
    }

    double secondsSince(Clock::time_point t0)
    {
        return std::chrono::duration<double>(Clock::now() - t0).count();
    }

    bool endsWith(const std::string& s, const std::string& tail)
    {
        return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
    }

    bool contains(const std::string& s, const char* part)
    {
        return s.find(part) != std::string::npos;
    }

    torch::Device trainingDevice(const std::string& device)
    {
        const ComputeDevice d = parseComputeDevice(device);
        requireComputeDevice(d);
        return d.cuda ? torch::Device(torch::kCUDA, c10::DeviceIndex(d.index)) : torch::Device(torch::kCPU);
    }

    // GPT-2's initialisation (as Hugging Face's GPT2PreTrainedModel): matrices and tables
    // N(0, 0.02), the two projections into the residual stream N(0, 0.02 / sqrt(2 n_layer)),
    // biases 0, LayerNorm gain 1. Transformer-XL's (its init_weight): matrices, tables, per-head
    // biases and cluster weights N(0, 0.02), embedding and softmax projections N(0, 0.01),
    // LayerNorm gain N(1, 0.02), biases 0.
    void initialise(tm::LanguageModel& model, const ArchConfig& a)
    {
        torch::NoGradGuard noGrad;
        const bool xl = a.backbone == Backbone::TransformerXL;
        const double residualStd = kInitStd / std::sqrt(2.0 * a.nLayer);
        for (auto& item : model.named_parameters()) {
            const std::string& name = item.key();
            torch::Tensor p = item.value();
            const bool norm = contains(name, "ln_") || contains(name, "layer_norm") || contains(name, "ff_norm");
            if (norm && endsWith(name, ".weight")) {
                if (xl)
                    p.normal_(1.0, kInitStd);
                else
                    p.fill_(1.0);
            } else if (norm || endsWith(name, ".bias") || name.rfind("head.bias", 0) == 0
                || endsWith(name, "cluster_bias")) {
                p.zero_();
            } else if (name.rfind("emb.proj", 0) == 0 || name == "head.head_proj") {
                p.normal_(0.0, xl ? kXlProjStd : kInitStd);
            } else if (!xl && (endsWith(name, "c_proj.weight") || endsWith(name, "mlp_proj.weight"))) {
                p.normal_(0.0, residualStd);
            } else {
                p.normal_(0.0, kInitStd);
            }
        }
    }

    // [rows, len] token ids (as longs) of data[start .. start + len) for each start.
    torch::Tensor windows(const std::vector<std::uint8_t>& data, const std::vector<std::int64_t>& starts, int len)
    {
        auto out = torch::empty({ std::int64_t(starts.size()), len }, torch::kLong);
        auto* p = out.data_ptr<std::int64_t>();
        for (std::size_t r = 0; r < starts.size(); ++r)
            for (int i = 0; i < len; ++i)
                *p++ = data[std::size_t(starts[r] + i)];
        return out;
    }

    // Where each step's sequences start in the training part. GPT-2: windows drawn uniformly at
    // random. Transformer-XL: `batch` contiguous streams read segment after segment, so the
    // segment memory holds the text just before (as Transformer-XL trains), from a random offset.
    class DataOrder {
    public:
        DataOrder(bool streams, std::int64_t size, int batch, int context, std::uint64_t seed)
            : m_streams(streams)
            , m_size(size)
            , m_batch(batch)
            , m_context(context)
            , m_rng(seed ^ 0x9E3779B97F4A7C15ULL)
        {
            m_streamLen = size / batch;
            if (m_streams && m_streamLen < context + 1) // too short for streams: windows instead
                m_streams = false;
            if (m_streams)
                m_offset = std::uniform_int_distribution<std::int64_t>(0, m_streamLen - context - 1)(m_rng);
        }

        // Starts of the next step's sequences; `restarted` tells when the memory must be cleared.
        std::vector<std::int64_t> next(bool& restarted)
        {
            std::vector<std::int64_t> starts(static_cast<std::size_t>(m_batch));
            restarted = false;
            if (!m_streams) {
                std::uniform_int_distribution<std::int64_t> pick(0, m_size - m_context - 1);
                for (auto& s : starts)
                    s = pick(m_rng);
                return starts;
            }
            if (m_offset + m_context + 1 > m_streamLen) {
                m_offset = 0;
                restarted = true;
            }
            for (int b = 0; b < m_batch; ++b)
                starts[std::size_t(b)] = b * m_streamLen + m_offset;
            m_offset += m_context;
            return starts;
        }

    private:
        bool m_streams;
        std::int64_t m_size;
        int m_batch;
        int m_context;
        std::mt19937_64 m_rng;
        std::int64_t m_streamLen = 0;
        std::int64_t m_offset = 0;
    };

    torch::Tensor lossOf(const torch::Tensor& scores, const torch::Tensor& targets, bool logProbs, bool sum)
    {
        namespace F = torch::nn::functional;
        const auto reduction = sum ? torch::Reduction::Sum : torch::Reduction::Mean;
        auto t = targets.reshape({ -1 });
        return logProbs ? torch::nll_loss(scores, t, {}, reduction)
                        : torch::cross_entropy_loss(scores, t, {}, reduction);
    }

    // Learning rate at `step` (0-based) of `steps`: linear warm-up, then cosine decay to the floor.
    double learningRate(const TrainConfig& c, int step, int steps)
    {
        const int warmup = std::max(1, int(std::lround(c.warmupFraction * steps)));
        if (step < warmup)
            return c.lr * double(step + 1) / double(warmup);
        const double progress = steps > warmup ? double(step - warmup) / double(steps - warmup) : 1.0;
        const double floor = c.lr * c.minLrRatio;
        return floor + (c.lr - floor) * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
    }

    std::string firstLine(const std::string& s)
    {
        return s.substr(0, s.find('\n'));
    }

    // Validation loss in nats per token over at most `maxTokens` tokens of the validation part.
    // GPT-2: consecutive windows, each scored on its own context; Transformer-XL: streams read
    // segment after segment with the memory of the segments before.
    std::pair<double, std::int64_t> evaluate(tm::LanguageModel& model, const std::vector<std::uint8_t>& valid,
        int context, int batch, bool streams, bool logProbs, std::int64_t maxTokens, torch::Device device,
        const std::atomic<bool>& cancel)
    {
        torch::NoGradGuard noGrad;
        model.eval();
        model.resetState();
        const std::int64_t usable = std::min<std::int64_t>(std::int64_t(valid.size()), maxTokens + 1);
        double total = 0;
        std::int64_t count = 0;
        auto score = [&](const std::vector<std::int64_t>& starts) {
            auto w = windows(valid, starts, context + 1).to(device);
            auto ids = w.narrow(1, 0, context), targets = w.narrow(1, 1, context);
            total += lossOf(model.forward(ids), targets, logProbs, true).item<double>();
            count += targets.numel();
        };
        if (streams) {
            const int n = int(std::max<std::int64_t>(1, std::min<std::int64_t>(batch, usable / (context + 1))));
            const std::int64_t len = usable / n;
            for (std::int64_t off = 0; off + context + 1 <= len && !cancel.load(); off += context) {
                std::vector<std::int64_t> starts;
                for (int b = 0; b < n; ++b)
                    starts.push_back(b * len + off);
                score(starts);
            }
        } else {
            std::vector<std::int64_t> starts;
            for (std::int64_t s = 0; s + context + 1 <= usable && !cancel.load(); s += context) {
                starts.push_back(s);
                if (int(starts.size()) == batch) {
                    score(starts);
                    starts.clear();
                }
            }
            if (!starts.empty())
                score(starts);
        }
        model.resetState();
        return { count ? total / double(count) : 0.0, count };
    }

} // namespace

void TrainConfig::validate() const
{
    if (seconds > 0)
        requireRange("seconds", seconds, kTrainSecondLimits);
    else if (seconds < 0 || std::isnan(seconds))
        throw InputError("seconds", "must be 0 (train for the token budget) or a positive number of seconds");
    else
        requireRange("tokens", double(tokens), kTrainTokenLimits);
    requireRange("batch", batch, kTrainBatchLimits);
    requireRange("context", context, kTrainContextLimits);
    requireRange("lr", lr, kLearningRateLimits);
    requireRange("min_lr_ratio", minLrRatio, Limits<double> { 0, 1 });
    requireRange("warmup_fraction", warmupFraction, Limits<double> { 0, 0.5 });
    requireRange("weight_decay", weightDecay, Limits<double> { 0, 1 });
    requireRange("clip_norm", clipNorm, Limits<double> { 0.01, 1000 });
    requireRange("threads", threads, kThreadLimits);
    requireRange("eval_tokens", double(evalTokens), kEvalTokenLimits);
    if (seed > std::uint64_t(kMaxSeed))
        throw InputError("seed", "must be between 0 and " + std::to_string(kMaxSeed));
    trainingDevice(device);
}

ArchConfig byteLevelArch(const ArchConfig& arch)
{
    ArchConfig a = arch;
    a.vocabSize = kByteVocab;
    a.divVal = 1;
    a.dEmbed = a.dModel;
    a.cutoffs.clear();
    return a;
}

std::string trainStatusName(TrainResult::Status s)
{
    switch (s) {
    case TrainResult::Status::Ok:
        return "ok";
    case TrainResult::Status::Failed:
        return "failed";
    case TrainResult::Status::Cancelled:
        return "cancelled";
    }
    return "ok";
}

TrainResult trainAndEvaluate(const ArchConfig& arch, const Corpus& corpus, const TrainConfig& config,
    const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>& cancel)
{
    config.validate();
    const ArchConfig a = byteLevelArch(arch);
    validate(a);
    const int context = config.context > 0 ? config.context : a.seqLen;
    if (a.backbone == Backbone::Gpt2 && context > a.seqLen)
        throw InputError("context", "must be at most the architecture's seq_len (" + std::to_string(a.seqLen) + ")");
    requireCorpusFits(corpus, context, config.batch);
    const torch::Device device = trainingDevice(config.device);
    const bool streams = a.backbone == Backbone::TransformerXL;
    const bool logProbs = a.divVal > 1;

    TrainResult r;
    r.trained = a;
    const double stateMb = double(countParams(a).total()) * kStateFloatsPerParam * sizeof(float) / (1024.0 * 1024.0);
    const double availableMb = availableMemoryMb();
    if (device.is_cpu() && availableMb > 0 && stateMb > kMaxShareOfMemory * availableMb) {
        r.status = TrainResult::Status::Failed;
        r.error = "out of memory: training needs " + std::to_string(std::llround(stateMb))
            + " MB for the weights, their gradients and AdamW's moments; " + std::to_string(std::llround(availableMb))
            + " MB are available";
        return r;
    }
    try {
        if (device.is_cpu()) {
            setComputeThreads(config.threads);
            keepFreedMemoryInHeap();
        }
        torch::manual_seed(config.seed);
        auto model = tm::buildModel(a, tm::Init::None);
        initialise(*model, a);
        model->to(device);
        r.decoderParams = model->decoderParamCount();
        r.totalParams = tm::countDistinctParams(*model);

        std::vector<torch::Tensor> decay, noDecay;
        for (auto& item : model->named_parameters()) {
            const bool perHead = endsWith(item.key(), "r_w_bias") || endsWith(item.key(), "r_r_bias");
            (item.value().dim() >= 2 && !perHead ? decay : noDecay).push_back(item.value());
        }
        auto options = [&](double wd) {
            return std::make_unique<torch::optim::AdamWOptions>(
                torch::optim::AdamWOptions(config.lr).betas({ 0.9, 0.95 }).weight_decay(wd));
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(decay, options(config.weightDecay));
        if (!noDecay.empty())
            groups.emplace_back(noDecay, options(0.0));
        torch::optim::AdamW optimiser(std::move(groups), torch::optim::AdamWOptions(config.lr));
        const auto params = model->parameters();

        DataOrder order(streams, std::int64_t(corpus.train.size()), config.batch, context, config.seed);
        const std::int64_t tokensPerStep = std::int64_t(config.batch) * context;
        auto step = [&](int i, int steps) {
            bool restarted = false;
            auto w = windows(corpus.train, order.next(restarted), context + 1).to(device);
            if (restarted)
                model->resetState();
            model->train();
            auto loss = lossOf(model->forward(w.narrow(1, 0, context)), w.narrow(1, 1, context), logProbs, false);
            optimiser.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(params, config.clipNorm);
            const double lr = steps > 0 ? learningRate(config, i, steps) : 0.0;
            for (auto& g : optimiser.param_groups())
                static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
            if (steps > 0)
                optimiser.step();
            return loss.item<double>();
        };

        int steps = 0;
        const auto t0 = Clock::now();
        if (config.seconds > 0) {
            // Two forward and backward passes, not applied, time a step; the budget fixes the steps.
            step(0, 0);
            const auto probe = Clock::now();
            step(0, 0);
            const double perStep = std::max(1e-6, secondsSince(probe));
            optimiser.zero_grad();
            model->resetState();
            order = DataOrder(streams, std::int64_t(corpus.train.size()), config.batch, context, config.seed);
            steps = std::max(1, int(std::min(1e9, (config.seconds - secondsSince(t0)) / perStep)));
        } else {
            steps = int(std::max<std::int64_t>(1, (config.tokens + tokensPerStep - 1) / tokensPerStep));
        }
        const int curveEvery = std::max(1, steps / kCurvePoints);
        std::vector<double> losses;
        losses.reserve(std::size_t(steps));
        const auto trainStart = Clock::now();
        for (int i = 0; i < steps; ++i) {
            if (cancel.load()) {
                r.status = TrainResult::Status::Cancelled;
                return r;
            }
            const double loss = step(i, steps);
            losses.push_back(loss);
            if (i % curveEvery == 0 || i + 1 == steps)
                r.curve.emplace_back(i + 1, loss);
            r.steps = i + 1;
            r.tokensTrained = std::int64_t(i + 1) * tokensPerStep;
            if (progress) {
                TrainProgress p;
                p.step = i + 1;
                p.steps = steps;
                p.tokens = r.tokensTrained;
                p.loss = loss;
                p.lr = learningRate(config, i, steps);
                p.elapsedS = secondsSince(t0);
                p.tokensPerS = double(r.tokensTrained) / std::max(1e-9, secondsSince(trainStart));
                progress(p);
            }
        }
        r.trainSeconds = secondsSince(trainStart);
        r.tokensPerS = double(r.tokensTrained) / std::max(1e-9, r.trainSeconds);
        const std::size_t tail = std::max<std::size_t>(1, losses.size() / 10);
        double sum = 0;
        for (std::size_t i = losses.size() - tail; i < losses.size(); ++i)
            sum += losses[i];
        r.trainLoss = sum / double(tail);

        const auto [valLoss, valTokens] =
            evaluate(*model, corpus.valid, context, config.batch, streams, logProbs, config.evalTokens, device, cancel);
        if (cancel.load()) {
            r.status = TrainResult::Status::Cancelled;
            return r;
        }
        r.valLoss = valLoss;
        r.valTokens = valTokens;
        r.valPpl = std::exp(valLoss);
        r.valBitsPerByte = valLoss / std::log(2.0);
        if (!std::isfinite(valLoss)) {
            r.status = TrainResult::Status::Failed;
            r.error = "the validation loss is not finite (training diverged)";
        }
    } catch (const c10::Error& e) {
        r.status = TrainResult::Status::Failed;
        r.error = firstLine(e.what_without_backtrace());
    } catch (const std::bad_alloc&) {
        r.status = TrainResult::Status::Failed;
        r.error = "out of memory";
    }
    return r;
}

} // namespace lts
