// A text file as a language-modelling corpus: its UTF-8 bytes, split into a training part and a
// validation part (the last tenth by default). Byte-level tokens: token i is byte i.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lts {

inline constexpr int kByteVocab = 256;

struct Corpus {
    std::string path;
    std::vector<std::uint8_t> train;
    std::vector<std::uint8_t> valid;
    std::int64_t bytes() const { return std::int64_t(train.size() + valid.size()); }
};

// Reads `path` and splits it. Throws InputError naming `field` when the file cannot be read, is
// empty, is not UTF-8 text (invalid sequences or NUL bytes; the offset is named) or when
// `validFraction` is not between 0.01 and 0.5.
Corpus loadCorpus(const std::string& path, double validFraction = 0.1, const std::string& field = "text");

// Throws InputError naming `field` unless the corpus can train and validate a model whose context
// is `context` tokens: a training part of at least 8 batches of `batch` windows and a validation
// part of at least one window (context + 1 bytes each).
void requireCorpusFits(const Corpus& corpus, int context, int batch, const std::string& field = "text");

} // namespace lts
