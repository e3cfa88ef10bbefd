// JSON reading and writing of the core's value types. Readers check types and values and throw
// InputError naming the field and the rule; they never return half-read values.
#pragma once

#include "candidate.h"
#include "measurement.h"
#include "search.h"
#include "searchconfig.h"
#include "searchspace.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <string>

namespace lts {

enum class ArchDialect { Native, HuggingFaceGpt2, ArchaiFlex };

// Detects the dialect of an architecture object and reads it; `defaults` fills what the dialect
// does not say (adaptive embedding settings of an Archai file, for instance).
ArchConfig archFromJson(const QJsonObject& o, ArchDialect* dialect = nullptr);
QJsonObject archToJson(const ArchConfig& arch);
// A Hugging Face config.json of a GPT-2 architecture: transformers' GPT2Config when every layer
// has the same n_head and d_inner, else Archai's per-layer GPT2FlexConfig (model_type
// "gpt2-flex", lists of n_head and n_inner); an adaptive embedding becomes a plain tied one, said
// in "lts_note". Throws InputError for a Transformer-XL architecture.
inline constexpr const char* kGpt2FlexModelType = "gpt2-flex";
QJsonObject archToHuggingFace(const ArchConfig& arch);

// The search configuration file read by `lts-search run --space` and saved by the GUI: the
// space's knobs at the top level, with optional "search" and "device" sections.
SearchConfig searchConfigFromJson(const QJsonObject& o);
QJsonObject searchConfigToJson(const SearchConfig& c);
QJsonObject spaceToJson(const SearchSpace& s);
SearchSpace spaceFromJson(const QJsonObject& o);
QJsonObject paramsToJson(const SearchParams& p);
SearchParams paramsFromJson(const QJsonObject& o);
QJsonObject protocolToJson(const MeasureProtocol& p);
MeasureProtocol protocolFromJson(const QJsonObject& o);

QJsonObject measurementToJson(const Measurement& m);
QJsonObject candidateToJson(const Candidate& c);
Candidate candidateFromJson(const QJsonObject& o);

// Parses a whole document; throws InputError with the parser's message and offset.
QJsonObject parseJsonObject(const QByteArray& bytes, const std::string& what);
// Reads and parses a file; throws InputError when it cannot be read or is too large.
QJsonObject readJsonFile(const QString& path);
// Writes through a temporary file and a rename, so a reader never sees half a file.
// Throws std::runtime_error naming the path when it cannot.
void writeFileAtomically(const QString& path, const QByteArray& bytes);

} // namespace lts
