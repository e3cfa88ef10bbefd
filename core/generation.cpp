#include "generation.h"

#include "errors.h"
#include "models_torch.h"
#include "paramcount.h"

#include <algorithm>
#include <string>

namespace lts {

DecodeCheck checkIncrementalDecoding(
    const ArchConfig& arch, int prompt, int tokens, std::uint64_t seed, Precision precision)
{
    validate(arch);
    if (prompt < 1 || prompt > tokens)
        throw InputError("prompt", "must be between 1 and the " + std::to_string(tokens) + " tokens");
    if (arch.backbone == Backbone::Gpt2 && tokens > arch.seqLen)
        throw InputError("seq_len",
            "a GPT-2 model cannot decode " + std::to_string(tokens) + " tokens with only " + std::to_string(arch.seqLen)
                + " positions");
    if (arch.backbone == Backbone::TransformerXL && arch.memLen < tokens)
        throw InputError(
            "mem_len", "must hold the " + std::to_string(tokens) + " tokens for decoding to see what one pass sees");

    torch::manual_seed(seed);
    torch::NoGradGuard noGrad;
    auto model = torchmodels::buildModel(arch, torchmodels::Init::Random);
    for (auto& p : model->parameters())
        p.add_(torch::randn_like(p) * 0.02); // zero biases and unit norms would hide their use
    model->eval();
    const auto ids = torch::randint(arch.vocabSize, { 1, tokens }, torch::TensorOptions().dtype(torch::kLong));
    const auto fullPass = [&] {
        model->resetState();
        return torch::log_softmax(model->forward(ids).to(torch::kFloat), -1); // [tokens, vocab]
    };
    const auto reference = fullPass();
    DecodeCheck c;
    auto full = reference;
    if (precision != Precision::Fp32) {
        torchmodels::prepare(*model, torch::kCPU, precision);
        full = fullPass();
        c.vsFp32RelativeError =
            ((full - reference).norm() / (reference - reference.mean()).norm().clamp_min(1e-30)).item<double>();
    }

    model->resetState();
    model->startDecoding(1, tokens, torch::kCPU);
    auto compare = [&](const torch::Tensor& scores, int position) {
        const auto a = torch::log_softmax(scores.to(torch::kFloat), -1).squeeze(0);
        const auto b = full.select(0, position);
        const auto diff = (a - b).abs();
        c.maxAbsDiff = std::max(c.maxAbsDiff, diff.max().item<double>());
        c.maxRelDiff = std::max(c.maxRelDiff, (diff / b.abs().clamp_min(1.0)).max().item<double>());
        ++c.positions;
    };
    compare(model->decode(ids.narrow(1, 0, prompt)), prompt - 1);
    for (int i = prompt; i < tokens; ++i)
        compare(model->decode(ids.narrow(1, i, 1)), i);
    return c;
}

} // namespace lts
