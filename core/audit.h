// The proxy audit: trains a sample of a run's architectures briefly on the user's own text and
// reports how well decoder parameters rank them by validation perplexity. Kept in the run folder
// as audit.json and audit.csv; a killed audit resumes and keeps every finished architecture.
#pragma once

#include "candidate.h"
#include "stats.h"
#include "trainer.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace lts {

inline constexpr const char* kAuditJsonFile = "audit.json";
inline constexpr const char* kAuditCsvFile = "audit.csv";

struct AuditConfig {
    std::string text; // the corpus: a UTF-8 text file
    int archs = 8; // K architectures to train
    double validFraction = 0.1; // the end of the text kept for validation
    double timeBudgetS = 0; // > 0: the whole audit's training time, shared equally; else train.tokens each
    int resamples = 2000; // bootstrap resamples of the rank correlations
    TrainConfig train;

    // Throws InputError naming the field and the rule.
    void validate() const;
};

// One architecture the audit trains, and why it was picked.
struct AuditPick {
    int candidateId = 0;
    ArchConfig arch; // as searched
    std::int64_t decoderParams = 0; // the proxy, counted on the searched architecture
    std::string reason; // "frontier" (spread over its range), "pair N" (near-equal params, other depth), "run"
};

struct AuditEntry {
    AuditPick pick;
    bool done = false; // trained (ok or failed); a cancelled one is trained again on resume
    TrainResult result;
};

// Agreement of a ranking with validation perplexity: +1 when more of the quantity always comes
// with lower perplexity (the LTS paper's sign), -1 when always with higher.
struct RankAgreement {
    double spearman = 0;
    double kendall = 0;
    Interval spearmanInterval; // 95% percentile bootstrap
    Interval kendallInterval;
    int n = 0; // architectures that trained
};

struct AuditReport {
    AuditConfig config;
    std::int64_t corpusBytes = 0;
    std::int64_t trainBytes = 0;
    std::int64_t validBytes = 0;
    std::string corpusHash; // FNV-1a 64 of the text, hex
    std::vector<AuditEntry> entries; // in training order (fewest decoder parameters first)
    RankAgreement decoderParams, totalParams, depth;
    // Pairs the proxy ranks wrongly: entries[first] has more decoder parameters than
    // entries[second] but a higher validation perplexity.
    std::vector<std::pair<int, int>> misranked;
    bool finished = false;
    double elapsedS = 0;
    std::string runtime; // CPU or GPU, threads, BLAS, LibTorch

    int trained() const; // entries done with status ok
};

// K architectures of a run (never a failed candidate, each architecture once): K/4 pairs of
// nearly equal decoder parameters (within 5%) but different depth, the deepest difference first,
// and the rest spread evenly over the frontier's range of log decoder parameters (completed from
// the whole run when the frontier is smaller). Ordered by decoder parameters. Throws InputError
// when the run holds fewer than two architectures.
std::vector<AuditPick> pickArchitectures(
    const std::vector<Candidate>& candidates, const std::vector<std::size_t>& frontier, int k);

// Fills the agreements and the misranked pairs from the entries that trained.
void summarise(AuditReport& report);

QJsonObject auditToJson(const AuditReport& report);
// Throws InputError naming the field when the object is not an audit.
AuditReport auditFromJson(const QJsonObject& o);
QByteArray auditCsv(const AuditReport& report);
// The audit kept in a run folder; nullopt-like: an empty report with no entries when none.
// Throws InputError when audit.json exists but is invalid.
bool loadAudit(const QString& runDir, AuditReport& out);

struct AuditEvent {
    enum class Kind { Planned, Started, Step, Done, Finished };
    Kind kind = Kind::Planned;
    int index = -1; // into report->entries
    TrainProgress progress; // Step
    const AuditReport* report = nullptr;
};

// Runs the audit of run folder `runDir`, or resumes the one audit.json holds when it has the
// same settings (corpus, architectures, budget and training); audit.json and audit.csv are
// rewritten after every architecture. Throws InputError for bad settings or a corpus that cannot
// serve, or when audit.json holds an audit of other settings (naming what differs).
AuditReport runAudit(const QString& runDir, const AuditConfig& config,
    const std::function<void(const AuditEvent&)>& observer, const std::atomic<bool>& cancel);

} // namespace lts
