// Writing selected architectures (or a whole frontier) to disk: the project's architecture JSON,
// Hugging Face config.json (GPT2Config, or Archai's per-layer gpt2-flex), and CSV. No dialogs here, so tests can drive
// it directly.
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

// Why `c` cannot be exported in `format`, or empty when it can; asked before a file name is.
QString exportProblem(const lts::Candidate& c, ExportFormat format);

// The architecture JSON of one candidate, as copied to the clipboard.
QByteArray archJsonText(const lts::Candidate& c);

} // namespace studio
