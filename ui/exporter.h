// Writing selected architectures (or a whole frontier) to disk: the project's architecture JSON,
// Hugging Face GPT2Config config.json, and CSV. No dialogs here, so tests can drive it directly.
#pragma once

#include "candidate.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace studio {

enum class ExportFormat { ArchJson, HuggingFace, Csv };

struct ExportReport {
    QStringList written; // every file written
    QStringList problems; // one line per architecture that could not be exported, saying why
};

// `target` is a file when the format is CSV or when there is exactly one candidate; otherwise a
// folder that receives arch-<id>.json, or gpt2-<id>/config.json for Hugging Face.
ExportReport exportCandidates(
    const std::vector<lts::Candidate>& candidates, ExportFormat format, const QString& target);

// The architecture JSON of one candidate, as copied to the clipboard.
QByteArray archJsonText(const lts::Candidate& c);

} // namespace studio
