#include "audit.h"

#include "configlimits.h"
#include "errors.h"
#include "jsonfields.h"
#include "jsonio.h"
#include "runfolder.h"
#include "runtime.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <unordered_set>

namespace lts {

using namespace jsonfield;

namespace {

    constexpr double kPairTolerance = 0.05; // "nearly equal" decoder parameters
    constexpr double kIntervalLevel = 0.95;

    QString q(const char* s)
    {
        return QString::fromLatin1(s);
    }

    QString qs(const std::string& s)
    {
        return QString::fromStdString(s);
    }

    std::string fnv1a(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b)
    {
        std::uint64_t h = 14695981039346656037ULL;
        for (const auto* part : { &a, &b })
            for (std::uint8_t c : *part) {
                h ^= c;
                h *= 1099511628211ULL;
            }
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
        return buf;
    }

    double relativeGap(std::int64_t a, std::int64_t b)
    {
        return double(std::llabs(a - b)) / double(std::max<std::int64_t>(1, std::max(a, b)));
    }

    // Up to `m` of `pool` (not in `taken`) spread evenly over their range of log decoder params.
    std::vector<std::size_t> spread(const std::vector<const Candidate*>& pool, const std::vector<std::size_t>& from,
        std::set<std::size_t>& taken, int m)
    {
        std::vector<std::size_t> free;
        for (std::size_t i : from)
            if (!taken.count(i))
                free.push_back(i);
        std::vector<std::size_t> out;
        if (free.empty() || m <= 0)
            return out;
        auto logOf = [&](std::size_t i) { return std::log(double(std::max<std::int64_t>(1, pool[i]->decoderParams))); };
        double lo = logOf(free.front()), hi = lo;
        for (std::size_t i : free) {
            lo = std::min(lo, logOf(i));
            hi = std::max(hi, logOf(i));
        }
        for (int t = 0; t < m && out.size() < free.size(); ++t) {
            const double target = m == 1 ? (lo + hi) / 2 : lo + (hi - lo) * double(t) / double(m - 1);
            std::size_t best = free.size();
            for (std::size_t f = 0; f < free.size(); ++f)
                if (!taken.count(free[f])
                    && (best == free.size()
                        || std::fabs(logOf(free[f]) - target) < std::fabs(logOf(free[best]) - target)))
                    best = f;
            if (best == free.size())
                break;
            taken.insert(free[best]);
            out.push_back(free[best]);
        }
        return out;
    }

    RankAgreement agreement(
        const std::vector<double>& x, const std::vector<double>& ppl, int resamples, std::uint64_t seed)
    {
        std::vector<double> y;
        for (double p : ppl)
            y.push_back(-p); // more of x with lower perplexity counts as agreement
        RankAgreement r;
        r.n = int(x.size());
        r.spearman = spearman(x, y);
        r.kendall = kendallTauB(x, y);
        r.spearmanInterval = bootstrapInterval(x, y, &spearman, resamples, kIntervalLevel, seed);
        r.kendallInterval = bootstrapInterval(x, y, &kendallTauB, resamples, kIntervalLevel, seed + 1);
        return r;
    }

    QJsonValue finite(double v)
    {
        return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
    }

    double numberOrNaN(const QJsonObject& o, const char* key, const std::string& prefix)
    {
        if (o.value(q(key)).isNull())
            return std::nan("");
        return numberField(o, key, std::nan(""), prefix);
    }

    QJsonArray intervalToJson(const Interval& i)
    {
        return QJsonArray { finite(i.lo), finite(i.hi) };
    }

    QJsonObject agreementToJson(const RankAgreement& a)
    {
        return QJsonObject {
            { q("spearman"),
                QJsonObject {
                    { q("rho"), finite(a.spearman) }, { q("interval"), intervalToJson(a.spearmanInterval) } } },
            { q("kendall"),
                QJsonObject { { q("tau"), finite(a.kendall) }, { q("interval"), intervalToJson(a.kendallInterval) } } },
            { q("n"), a.n },
        };
    }

    std::string compact(const QJsonValue& v)
    {
        if (v.isString())
            return "\"" + v.toString().toStdString() + "\"";
        if (v.isDouble())
            return QString::number(v.toDouble(), 'g', 12).toStdString();
        if (v.isObject())
            return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact).toStdString();
        return typeName(v);
    }

    QJsonObject trainConfigToJson(const TrainConfig& t)
    {
        return QJsonObject {
            { q("tokens"), double(t.tokens) },
            { q("seconds"), t.seconds },
            { q("batch"), t.batch },
            { q("context"), t.context },
            { q("lr"), t.lr },
            { q("min_lr_ratio"), t.minLrRatio },
            { q("warmup_fraction"), t.warmupFraction },
            { q("weight_decay"), t.weightDecay },
            { q("clip_norm"), t.clipNorm },
            { q("threads"), t.threads },
            { q("device"), qs(t.device) },
            { q("seed"), double(t.seed) },
            { q("eval_tokens"), double(t.evalTokens) },
        };
    }

    TrainConfig trainConfigFromJson(const QJsonObject& o)
    {
        const std::string p = "train.";
        TrainConfig t;
        t.tokens = std::int64_t(numberField(o, "tokens", double(t.tokens), p));
        t.seconds = numberField(o, "seconds", t.seconds, p);
        t.batch = intField(o, "batch", t.batch, p);
        t.context = intField(o, "context", t.context, p);
        t.lr = numberField(o, "lr", t.lr, p);
        t.minLrRatio = numberField(o, "min_lr_ratio", t.minLrRatio, p);
        t.warmupFraction = numberField(o, "warmup_fraction", t.warmupFraction, p);
        t.weightDecay = numberField(o, "weight_decay", t.weightDecay, p);
        t.clipNorm = numberField(o, "clip_norm", t.clipNorm, p);
        t.threads = intField(o, "threads", t.threads, p);
        t.device = stringField(o, "device", t.device, p);
        const double seed = numberField(o, "seed", double(t.seed), p);
        if (seed < 0 || seed > double(kMaxSeed))
            throw InputError(p + "seed", "must be between 0 and " + std::to_string(kMaxSeed));
        t.seed = std::uint64_t(seed);
        t.evalTokens = std::int64_t(numberField(o, "eval_tokens", double(t.evalTokens), p));
        t.validate();
        return t;
    }

    // What must be equal for an audit.json to be resumed: the corpus and every setting.
    QJsonObject settingsOf(const AuditReport& r)
    {
        return QJsonObject {
            { q("text"), qs(r.config.text) },
            { q("corpus_bytes"), double(r.corpusBytes) },
            { q("corpus_fnv1a"), qs(r.corpusHash) },
            { q("archs"), r.config.archs },
            { q("valid_fraction"), r.config.validFraction },
            { q("time_budget_s"), r.config.timeBudgetS },
            { q("resamples"), r.config.resamples },
            { q("train"), trainConfigToJson(r.config.train) },
        };
    }

    double secondsSince(std::chrono::steady_clock::time_point t0)
    {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    std::string runtimeDescription(const TrainConfig& t)
    {
        const RuntimeInfo& r = runtimeInfo();
        std::string where = t.device;
        for (const auto& d : r.devices)
            if (d.id == (t.device == "cuda" ? "cuda:0" : t.device))
                where += " (" + d.name + ")";
        return where + "; " + threadBindingText(t.threads) + "; LibTorch " + r.torchVersion + "; " + r.blas;
    }

    void writeAudit(const QString& dir, const AuditReport& r)
    {
        writeFileAtomically(QDir(dir).filePath(q(kAuditJsonFile)), QJsonDocument(auditToJson(r)).toJson());
        writeFileAtomically(QDir(dir).filePath(q(kAuditCsvFile)), auditCsv(r));
    }

} // namespace

void AuditConfig::validate() const
{
    if (text.empty())
        throw InputError("text", "is required: the text file to train on");
    requireRange("archs", archs, kAuditArchLimits);
    requireRange("valid_fraction", validFraction, Limits<double> { 0.01, 0.5 });
    if (timeBudgetS != 0)
        requireRange("time_budget_s", timeBudgetS, Limits<double> { 10, 30 * 86400 });
    requireRange("resamples", resamples, Limits<int> { 100, 100000 });
    TrainConfig t = train;
    if (timeBudgetS > 0)
        t.seconds = std::max(kTrainSecondLimits.lo, timeBudgetS / archs);
    t.validate();
}

int AuditReport::trained() const
{
    return int(std::count_if(entries.begin(), entries.end(),
        [](const AuditEntry& e) { return e.done && e.result.status == TrainResult::Status::Ok; }));
}

std::vector<AuditPick> pickArchitectures(
    const std::vector<Candidate>& candidates, const std::vector<std::size_t>& frontier, int k)
{
    std::vector<const Candidate*> pool;
    std::vector<std::size_t> frontierPool;
    std::unordered_set<std::string> seen;
    std::set<std::size_t> onFrontier(frontier.begin(), frontier.end());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const Candidate& c = candidates[i];
        if (c.status == Candidate::Status::Failed || !seen.insert(c.arch.key()).second)
            continue;
        if (onFrontier.count(i))
            frontierPool.push_back(pool.size());
        pool.push_back(&c);
    }
    if (pool.size() < 2)
        throw InputError("archs",
            "the run holds " + std::to_string(pool.size())
                + " architecture(s) that did not fail; an audit ranks at least 2");
    k = std::min<int>(k, int(pool.size()));

    std::set<std::size_t> taken;
    std::vector<std::pair<std::size_t, std::string>> picked;
    // Pairs of nearly equal decoder parameters and different depth, the largest difference in
    // depth first; each at least 20% away in parameters from the pairs already chosen.
    struct Pair {
        std::size_t a, b;
        int depthGap;
        double gap;
    };
    std::vector<Pair> pairs;
    for (std::size_t i = 0; i < pool.size(); ++i)
        for (std::size_t j = i + 1; j < pool.size(); ++j)
            if (pool[i]->arch.nLayer != pool[j]->arch.nLayer
                && relativeGap(pool[i]->decoderParams, pool[j]->decoderParams) <= kPairTolerance)
                pairs.push_back({ i, j, std::abs(pool[i]->arch.nLayer - pool[j]->arch.nLayer),
                    relativeGap(pool[i]->decoderParams, pool[j]->decoderParams) });
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
        return x.depthGap != y.depthGap ? x.depthGap > y.depthGap : x.gap < y.gap;
    });
    const int wantPairs = k >= 4 ? k / 4 : 0;
    std::vector<std::int64_t> pairLevels;
    for (int pass = 0; pass < 2 && int(pairLevels.size()) < wantPairs; ++pass)
        for (const Pair& p : pairs) {
            if (int(pairLevels.size()) == wantPairs)
                break;
            if (taken.count(p.a) || taken.count(p.b))
                continue;
            const std::int64_t level = pool[p.a]->decoderParams;
            const bool crowded = std::any_of(
                pairLevels.begin(), pairLevels.end(), [&](std::int64_t l) { return relativeGap(l, level) < 0.2; });
            if (crowded && pass == 0)
                continue;
            taken.insert(p.a);
            taken.insert(p.b);
            pairLevels.push_back(level);
            const std::string why = "pair " + std::to_string(pairLevels.size());
            picked.emplace_back(p.a, why);
            picked.emplace_back(p.b, why);
        }
    // The rest spread over the frontier's range, then over the whole run's.
    const int rest = k - int(picked.size());
    for (std::size_t i : spread(pool, frontierPool, taken, rest))
        picked.emplace_back(i, "frontier");
    std::vector<std::size_t> all(pool.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    for (std::size_t i : spread(pool, all, taken, k - int(picked.size())))
        picked.emplace_back(i, "run");

    std::vector<AuditPick> out;
    for (const auto& [i, why] : picked)
        out.push_back({ pool[i]->id, pool[i]->arch, pool[i]->decoderParams, why });
    std::stable_sort(out.begin(), out.end(),
        [](const AuditPick& a, const AuditPick& b) { return a.decoderParams < b.decoderParams; });
    return out;
}

void summarise(AuditReport& report)
{
    std::vector<double> dec, tot, depth, ppl;
    std::vector<int> index;
    for (std::size_t i = 0; i < report.entries.size(); ++i) {
        const AuditEntry& e = report.entries[i];
        if (!e.done || e.result.status != TrainResult::Status::Ok)
            continue;
        dec.push_back(double(e.pick.decoderParams));
        tot.push_back(double(e.result.totalParams));
        depth.push_back(double(e.pick.arch.nLayer));
        ppl.push_back(e.result.valPpl);
        index.push_back(int(i));
    }
    const std::uint64_t seed = report.config.train.seed;
    report.decoderParams = agreement(dec, ppl, report.config.resamples, seed);
    report.totalParams = agreement(tot, ppl, report.config.resamples, seed + 10);
    report.depth = agreement(depth, ppl, report.config.resamples, seed + 20);
    report.misranked.clear();
    for (std::size_t a = 0; a < dec.size(); ++a)
        for (std::size_t b = 0; b < dec.size(); ++b)
            if (dec[a] > dec[b] && ppl[a] > ppl[b])
                report.misranked.emplace_back(index[a], index[b]);
}

QJsonObject auditToJson(const AuditReport& r)
{
    QJsonArray archs;
    for (const AuditEntry& e : r.entries) {
        QJsonObject o {
            { q("candidate_id"), e.pick.candidateId },
            { q("reason"), qs(e.pick.reason) },
            { q("arch"), archToJson(e.pick.arch) },
            { q("decoder_params"), double(e.pick.decoderParams) },
            { q("n_layer"), e.pick.arch.nLayer },
            { q("d_model"), e.pick.arch.dModel },
            { q("done"), e.done },
        };
        if (e.done) {
            const TrainResult& t = e.result;
            o.insert(q("status"), qs(trainStatusName(t.status)));
            if (!t.error.empty())
                o.insert(q("error"), qs(t.error));
            o.insert(q("total_params"), double(t.totalParams));
            o.insert(q("steps"), t.steps);
            o.insert(q("tokens_trained"), double(t.tokensTrained));
            o.insert(q("train_loss"), finite(t.trainLoss));
            o.insert(q("val_loss"), finite(t.valLoss));
            o.insert(q("val_ppl"), finite(t.valPpl));
            o.insert(q("val_bits_per_byte"), finite(t.valBitsPerByte));
            o.insert(q("val_tokens"), double(t.valTokens));
            o.insert(q("train_seconds"), t.trainSeconds);
            o.insert(q("tokens_per_s"), t.tokensPerS);
            QJsonArray curve;
            for (const auto& [step, loss] : t.curve)
                curve.append(QJsonArray { step, finite(loss) });
            o.insert(q("curve"), curve);
        }
        archs.append(o);
    }
    QJsonArray misranked;
    for (const auto& [a, b] : r.misranked)
        misranked.append(QJsonObject {
            { q("more_params"), r.entries[std::size_t(a)].pick.candidateId },
            { q("fewer_params"), r.entries[std::size_t(b)].pick.candidateId },
        });
    const QJsonObject dec = agreementToJson(r.decoderParams);
    return QJsonObject {
        { q("format"), q("lts-audit/1") },
        { q("settings"), settingsOf(r) },
        { q("corpus"),
            QJsonObject { { q("train_bytes"), double(r.trainBytes) }, { q("valid_bytes"), double(r.validBytes) },
                { q("tokenizer"), q("bytes") },
                { q("note"),
                    q("byte-level tokens: the decoder layers are trained exactly as searched; the embedding and "
                      "head are a plain tied table of 256 bytes") } } },
        { q("runtime"), qs(r.runtime) },
        { q("spearman"), dec.value(q("spearman")) },
        { q("kendall"), dec.value(q("kendall")) },
        { q("sign"), q("positive when more of the quantity comes with lower validation perplexity") },
        { q("decoder_params"), dec },
        { q("total_params"), agreementToJson(r.totalParams) },
        { q("depth"), agreementToJson(r.depth) },
        { q("misranked"), misranked },
        { q("architectures"), archs },
        { q("finished"), r.finished },
        { q("elapsed_s"), r.elapsedS },
    };
}

AuditReport auditFromJson(const QJsonObject& o)
{
    if (stringField(o, "format", "") != "lts-audit/1")
        throw InputError("format", "must be \"lts-audit/1\" (this is not an audit file)");
    AuditReport r;
    const QJsonObject s = o.value(q("settings")).toObject();
    r.config.text = stringField(s, "text", "", "settings.");
    r.corpusBytes = std::int64_t(numberField(s, "corpus_bytes", 0, "settings."));
    r.corpusHash = stringField(s, "corpus_fnv1a", "", "settings.");
    r.config.archs = intField(s, "archs", "settings.");
    r.config.validFraction = numberField(s, "valid_fraction", r.config.validFraction, "settings.");
    r.config.timeBudgetS = numberField(s, "time_budget_s", 0, "settings.");
    r.config.resamples = intField(s, "resamples", r.config.resamples, "settings.");
    r.config.train = trainConfigFromJson(s.value(q("train")).toObject());
    const QJsonObject corpus = o.value(q("corpus")).toObject();
    r.trainBytes = std::int64_t(numberField(corpus, "train_bytes", 0, "corpus."));
    r.validBytes = std::int64_t(numberField(corpus, "valid_bytes", 0, "corpus."));
    r.runtime = stringField(o, "runtime", "");
    r.finished = boolField(o, "finished", false);
    r.elapsedS = numberField(o, "elapsed_s", 0);
    const QJsonValue archs = o.value(q("architectures"));
    if (!archs.isArray())
        throw InputError("architectures", "must be an array, got " + typeName(archs));
    int i = 0;
    for (const QJsonValue& v : archs.toArray()) {
        const std::string p = "architectures[" + std::to_string(i++) + "].";
        if (!v.isObject())
            throw InputError(p.substr(0, p.size() - 1), "must be an object");
        const QJsonObject a = v.toObject();
        AuditEntry e;
        e.pick.candidateId = intField(a, "candidate_id", p);
        e.pick.reason = stringField(a, "reason", "", p);
        try {
            e.pick.arch = archFromJson(a.value(q("arch")).toObject());
        } catch (const InputError& err) {
            throw InputError(p + "arch." + err.field(), err.rule());
        }
        e.pick.decoderParams = std::int64_t(numberField(a, "decoder_params", 0, p));
        e.done = boolField(a, "done", false, p);
        if (e.done) {
            TrainResult& t = e.result;
            const std::string status = stringField(a, "status", "ok", p);
            if (status == "ok")
                t.status = TrainResult::Status::Ok;
            else if (status == "failed")
                t.status = TrainResult::Status::Failed;
            else
                throw InputError(p + "status", "must be ok or failed, got \"" + status + "\"");
            t.error = stringField(a, "error", "", p);
            t.trained = byteLevelArch(e.pick.arch);
            t.decoderParams = e.pick.decoderParams;
            t.totalParams = std::int64_t(numberField(a, "total_params", 0, p));
            t.steps = intField(a, "steps", 0, p);
            t.tokensTrained = std::int64_t(numberField(a, "tokens_trained", 0, p));
            t.trainLoss = numberOrNaN(a, "train_loss", p);
            t.valLoss = numberOrNaN(a, "val_loss", p);
            t.valPpl = numberOrNaN(a, "val_ppl", p);
            t.valBitsPerByte = numberOrNaN(a, "val_bits_per_byte", p);
            t.valTokens = std::int64_t(numberField(a, "val_tokens", 0, p));
            t.trainSeconds = numberField(a, "train_seconds", 0, p);
            t.tokensPerS = numberField(a, "tokens_per_s", 0, p);
            for (const QJsonValue& point : a.value(q("curve")).toArray()) {
                const QJsonArray pair = point.toArray();
                if (pair.size() == 2 && pair[1].isDouble())
                    t.curve.emplace_back(pair[0].toInt(), pair[1].toDouble());
            }
        }
        r.entries.push_back(std::move(e));
    }
    summarise(r);
    return r;
}

QByteArray auditCsv(const AuditReport& r)
{
    QByteArray out = "candidate_id,reason,status,n_layer,d_model,decoder_params,total_params,tokens_trained,"
                     "val_loss,val_ppl,val_bits_per_byte,train_loss,tokens_per_s,train_seconds\n";
    char buf[512];
    for (const AuditEntry& e : r.entries) {
        if (!e.done)
            continue;
        const TrainResult& t = e.result;
        const bool ok = t.status == TrainResult::Status::Ok;
        std::snprintf(buf, sizeof buf, "%d,%s,%s,%d,%d,%lld,%lld,%lld,", e.pick.candidateId, e.pick.reason.c_str(),
            trainStatusName(t.status).c_str(), e.pick.arch.nLayer, e.pick.arch.dModel,
            static_cast<long long>(e.pick.decoderParams), static_cast<long long>(t.totalParams),
            static_cast<long long>(t.tokensTrained));
        out += buf;
        if (ok)
            std::snprintf(buf, sizeof buf, "%.6f,%.4f,%.6f,%.6f,%.1f,%.2f\n", t.valLoss, t.valPpl, t.valBitsPerByte,
                t.trainLoss, t.tokensPerS, t.trainSeconds);
        else
            std::snprintf(buf, sizeof buf, ",,,,,\n");
        out += buf;
    }
    return out;
}

bool loadAudit(const QString& runDir, AuditReport& out)
{
    const QString path = QDir(runDir).filePath(q(kAuditJsonFile));
    if (!QFileInfo::exists(path))
        return false;
    try {
        out = auditFromJson(readJsonFile(path));
    } catch (const InputError& e) {
        throw InputError(std::string(kAuditJsonFile) + ": " + e.field(), e.rule());
    }
    return true;
}

AuditReport runAudit(const QString& runDir, const AuditConfig& config,
    const std::function<void(const AuditEvent&)>& observer, const std::atomic<bool>& cancel)
{
    config.validate();
    const auto t0 = std::chrono::steady_clock::now();
    const LoadedRun run = loadRun(runDir);
    const Corpus corpus = loadCorpus(config.text, config.validFraction, "text");

    AuditReport report;
    report.config = config;
    report.config.text = QFileInfo(qs(config.text)).absoluteFilePath().toStdString();
    report.corpusBytes = corpus.bytes();
    report.trainBytes = std::int64_t(corpus.train.size());
    report.validBytes = std::int64_t(corpus.valid.size());
    report.corpusHash = fnv1a(corpus.train, corpus.valid);
    report.runtime = runtimeDescription(config.train);

    TrainConfig train = config.train;
    if (config.timeBudgetS > 0)
        train.seconds = std::max(kTrainSecondLimits.lo, config.timeBudgetS / config.archs);

    AuditReport earlier;
    double elapsedBefore = 0;
    if (loadAudit(runDir, earlier)) {
        const QJsonObject was = settingsOf(earlier), now = settingsOf(report);
        for (auto it = now.begin(); it != now.end(); ++it)
            if (was.value(it.key()) != it.value())
                throw InputError(kAuditJsonFile,
                    "holds an audit with other settings (" + it.key().toStdString() + ": "
                        + compact(was.value(it.key())) + " there, " + compact(it.value())
                        + " now); give the same settings to resume it, or move it away to start another");
        report.entries = earlier.entries;
        elapsedBefore = earlier.elapsedS;
    } else {
        const std::vector<std::size_t> frontier = frontierOf(run.candidates, run.info.config.search.objectives);
        for (AuditPick& p : pickArchitectures(run.candidates, frontier, config.archs))
            report.entries.push_back({ std::move(p), false, {} });
    }
    for (const AuditEntry& e : report.entries) // fail before training anything, not at the fifth
        requireCorpusFits(corpus, train.context > 0 ? train.context : e.pick.arch.seqLen, train.batch);

    auto emit = [&](AuditEvent::Kind kind, int index, const TrainProgress& p = {}) {
        if (!observer)
            return;
        AuditEvent e;
        e.kind = kind;
        e.index = index;
        e.progress = p;
        e.report = &report;
        observer(e);
    };
    summarise(report);
    emit(AuditEvent::Kind::Planned, -1);
    for (std::size_t i = 0; i < report.entries.size() && !cancel.load(); ++i) {
        AuditEntry& e = report.entries[i];
        if (e.done)
            continue;
        emit(AuditEvent::Kind::Started, int(i));
        TrainResult result = trainAndEvaluate(
            e.pick.arch, corpus, train, [&](const TrainProgress& p) { emit(AuditEvent::Kind::Step, int(i), p); },
            cancel);
        if (result.status == TrainResult::Status::Cancelled)
            break;
        e.result = std::move(result);
        e.done = true;
        summarise(report);
        report.elapsedS = elapsedBefore + secondsSince(t0);
        writeAudit(runDir, report);
        emit(AuditEvent::Kind::Done, int(i));
    }
    report.finished =
        std::all_of(report.entries.begin(), report.entries.end(), [](const AuditEntry& e) { return e.done; });
    report.elapsedS = elapsedBefore + secondsSince(t0);
    summarise(report);
    writeAudit(runDir, report);
    emit(AuditEvent::Kind::Finished, -1);
    return report;
}

} // namespace lts
