// One Transformer language-model architecture (GPT-2 or Transformer-XL), as a plain value type
// that every layer of the application can hold and pass between threads.
#pragma once

#include "configlimits.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lts {

enum class Backbone { Gpt2, TransformerXL };

std::string backboneName(Backbone b);
// Throws InputError naming `field` when `name` is no known backbone.
Backbone backboneFromName(const std::string& name, const std::string& field = "backbone");

struct ArchConfig {
    Backbone backbone = Backbone::Gpt2;
    int nLayer = 0;
    int dModel = 0;
    std::vector<int> nHead; // one per layer
    std::vector<int> dInner; // one per layer
    int divVal = 1; // adaptive embedding/softmax width divisor; 1 = plain tied embedding
    int dEmbed = 0;
    std::vector<int> cutoffs; // cluster boundaries of the adaptive embedding/softmax
    int vocabSize = 0;
    int seqLen = 0;
    int memLen = 0; // Transformer-XL segment memory; ignored for GPT-2

    bool homogeneous() const;
    // Compact identity used to avoid evaluating the same architecture twice.
    std::string key() const;
    bool operator==(const ArchConfig& o) const;
    bool operator!=(const ArchConfig& o) const { return !(*this == o); }
};

// Throws InputError naming the field and the rule it breaks (bounds: configlimits.h).
void validate(const ArchConfig& arch);

} // namespace lts
