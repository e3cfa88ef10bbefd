// lts-search: the headless LiteTransformerSearch, for target devices without a display.
#include "audit.h"
#include "errors.h"
#include "jsonio.h"
#include "measurecache.h"
#include "paramcount.h"
#include "profiler.h"
#include "remote.h"
#include "runfolder.h"
#include "search.h"
#include "searchjob.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

using namespace lts;

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;

std::atomic<bool> g_interrupted { false };

extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
}

QString q(const char* s)
{
    return QString::fromLatin1(s);
}

const char* kUsage = R"(Usage:
  lts-search run (--preset NAME | --space FILE) --out DIR [options]
  lts-search run --resume DIR [--time-budget S] [--iterations N]
  lts-search eval FILE [--no-measure] [--device D] [--threads N] [--precision P]
  lts-search eval FILE --generate [--prompt N] [--new-tokens N] [--batch N] [--device D]
  lts-search export FILE --format json|hf --out FILE
  lts-search presets [NAME]
  lts-search audit RUN_DIR --text FILE [--archs K] [--tokens N | --time-budget S]
                     [--threads N] [--device D] [--seed S]
  lts-search devices ssh://[user@]host[:port]/cpu ... [--remote-program PATH]
  lts-search serve
  lts-search --help | --version

Training-free, hardware-aware architecture search (LiteTransformerSearch) for GPT-2 and
Transformer-XL language models. Decoder parameters rank architectures by perplexity; latency and
peak memory are measured by running each candidate with LibTorch on this machine.

run options:
  --preset NAME          search space preset (see `lts-search presets`)
  --space FILE           search configuration JSON (space, optional "search" and "device")
  --out DIR              run folder: candidates.jsonl, frontier.json, frontier.csv, session.json
  --resume DIR           continue the run in DIR without measuring anything twice
  --device D             cpu, cuda or cuda:N (default cpu), or a remote device
                         ssh://[user@]host[:port]/cpu (or /cuda:N) reached with your own ssh
                         configuration and keys ($LTS_SSH_COMMAND replaces the ssh command);
                         several --device of one kind form a pool that measures in parallel.
                         With --resume, the remote devices to go on with
  --remote-program PATH  the lts-search to start on remote devices (default: lts-search on
                         the remote PATH)
  --threads N            CPU threads, BLAS included (default 1, as in the paper)
  --batch N              batch size of a measured forward pass (default 1)
  --seq-len N            tokens per forward pass (default: the architecture's seq_len)
  --warmup N             untimed forward passes before timing; the last one measures the peak
                         memory (default 1; the paper used 2, see docs/benchmarks.md)
  --repeats N            at most N timed forward passes; the median is reported (default 10)
  --min-repeats N        at least N timed passes (default 3)
  --tolerance F          stop timing once the median is known within F (default 0.02;
                         0 always times --repeats passes, as the paper's protocol did)
  --seed S               random seed (default 1111)
  --iterations N         evolution iterations (default 30)
  --algorithm A          evolution (default: calibrate the estimates on the device, a first
                         population from the estimated frontier of 4,000 samples, screened
                         evolution), lts (the published procedure: a plain random first population,
                         every candidate measured in full) or random
  --time-budget S        stop after S seconds of this invocation, the final frontier's
                         confirmation included (default: none)
  --objectives LIST      params,latency | params,memory | params,latency,memory: a scoring pass
                         of seq_len tokens; or params,decode | params,prefill |
                         params,decode,memory | params,prefill,decode...: the generation
                         protocol (--prompt, --new-tokens), measured in full without screening
  --prompt N             generation: prompt tokens processed at once (default 128)
  --new-tokens N         generation: tokens generated, one per decode step after the first
                         (default 64); the cache is allocated for prompt + new tokens up front
  --precision P          fp32 (default), bf16 (CPUs with AVX-512 BF16 or AMX, and CUDA), fp16
                         (CUDA) or int8 (CPU: the decoder's linear layers dynamically quantised);
                         the number format every candidate runs in
  --no-screening         measure every candidate in full; by default, after the first population
                         and while the on-device estimates hold (90% of 10+ full measurements
                         within 20%), a candidate whose estimates cannot reach the frontier is
                         recorded as "estimated"
  --presample N          with screening, draw N times as many architectures as a bred batch holds
                         and keep those the estimates rank best (default 10; 1: keep all)
  --cache-dir DIR        the device's measurement cache (default: $LTS_CACHE_DIR, else
                         ~/.cache/lts-studio/measurements): an architecture measured by an earlier
                         search on this machine with the same protocol is not measured again
  --no-cache             neither read nor fill the measurement cache
  --estimate-rounds N    with screening, breed N generations from each pool's estimated front,
                         judged by the estimate alone, before choosing a batch (default 0; in
                         side-by-side benchmarks they narrowed the search: docs/benchmarks.md)

audit: checks the proxy on your own text. Trains K architectures of the run (default 8: pairs of
nearly equal decoder parameters but different depth, the rest spread over the frontier) briefly
on FILE (UTF-8; the last tenth validates; byte-level tokens, so the embedding and head are sized
for 256 bytes while the decoder layers are trained exactly as searched) and prints Spearman's rho
and Kendall's tau between decoder parameters and validation perplexity, with 95% bootstrap
intervals. Writes audit.json and audit.csv in RUN_DIR after every architecture; interrupted, the
same command resumes it.
  --text FILE            the corpus (required)
  --archs K              architectures to train (default 8)
  --tokens N             training tokens per architecture (default 262144)
  --time-budget S        instead of --tokens: S seconds of training in all, shared equally
  --batch N, --seq-len N sequences per step (default 8) and their length (default: seq_len)
  --threads N, --device D, --seed S as for run (cpu or cuda[:N]; default seed 1)

devices: connects to each remote device and prints what its agent reports (identity, versions).
serve: the measurement agent that remote searches start over ssh: JSON lines on stdin and
stdout (docs/architecture.md); it only measures.

eval options:
  --no-measure           print parameter counts only
  --generate             measure the generation profile (prefill_ms, decode_ms_per_token,
                         tokens_per_s, generation_peak_memory_mb) instead of a scoring pass
  --device, --threads, --batch, --seq-len, --warmup, --repeats, --prompt, --new-tokens,
  --precision as for run

Architecture files may be the project's JSON, a Hugging Face GPT2Config config.json or an
Archai transformer-flex architecture. Exit status: 0 success, 1 failure, 2 bad input.
)";

struct Options {
    QCommandLineParser parser;
    Options()
    {
        for (const char* name : { "preset", "space", "out", "resume", "device", "threads", "batch", "seq-len", "warmup",
                 "repeats", "min-repeats", "tolerance", "seed", "iterations", "algorithm", "time-budget", "objectives",
                 "format", "presample", "estimate-rounds", "cache-dir", "remote-program", "text", "archs", "tokens",
                 "prompt", "new-tokens", "precision" })
            parser.addOption(QCommandLineOption(q(name), q(name), q("value")));
        parser.addOption(QCommandLineOption(q("no-measure")));
        parser.addOption(QCommandLineOption(q("generate")));
        parser.addOption(QCommandLineOption(q("no-screening")));
        parser.addOption(QCommandLineOption(q("no-cache")));
        parser.addOption(QCommandLineOption(QStringList { q("h"), q("help") }));
        parser.addOption(QCommandLineOption(QStringList { q("v"), q("version") }));
    }
    bool has(const char* name) const { return parser.isSet(q(name)); }
    std::string text(const char* name) const { return parser.value(q(name)).toStdString(); }
    long long integer(const char* name, long long lo, long long hi) const
    {
        bool ok = false;
        const long long v = parser.value(q(name)).toLongLong(&ok);
        if (!ok || v < lo || v > hi)
            throw InputError(std::string("--") + name,
                "must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got \""
                    + text(name) + "\"");
        return v;
    }
    double number(const char* name) const
    {
        bool ok = false;
        const double v = parser.value(q(name)).toDouble(&ok);
        if (!ok || !(v >= 0))
            throw InputError(std::string("--") + name, "must be a non-negative number, got \"" + text(name) + "\"");
        return v;
    }
};

// The remote devices of --device (all ssh://, or none); empty when measuring here.
std::vector<std::string> remoteDevices(const Options& o)
{
    std::vector<std::string> urls;
    const QStringList values = o.parser.values(q("device"));
    for (const QString& v : values) {
        if (!isRemoteDevice(v.toStdString())) {
            if (values.size() > 1)
                throw InputError("--device",
                    "several devices form a pool of remote ones (ssh://...); \"" + v.toStdString()
                        + "\" is this computer's");
            continue;
        }
        urls.push_back(DeviceSpec::parse(v.toStdString(), "--device").url());
    }
    if (urls.size() > std::size_t(kMaxRemoteDevices))
        throw InputError("--device", "a pool holds at most " + std::to_string(kMaxRemoteDevices) + " devices");
    return urls;
}

void applyProtocolOptions(const Options& o, MeasureProtocol& p)
{
    if (o.has("device")) {
        const std::vector<std::string> remote = remoteDevices(o);
        p.device = remote.empty() ? o.text("device") : DeviceSpec::parse(remote.front(), "--device").device;
    }
    if (o.has("threads"))
        p.threads = int(o.integer("threads", kThreadLimits.lo, kThreadLimits.hi));
    if (o.has("batch"))
        p.batch = int(o.integer("batch", kBatchLimits.lo, kBatchLimits.hi));
    if (o.has("seq-len"))
        p.seqLen = int(o.integer("seq-len", kSeqLenLimits.lo, kSeqLenLimits.hi));
    if (o.has("warmup"))
        p.warmup = int(o.integer("warmup", kWarmupLimits.lo, kWarmupLimits.hi));
    if (o.has("repeats"))
        p.repeats = int(o.integer("repeats", kRepeatLimits.lo, kRepeatLimits.hi));
    if (o.has("min-repeats"))
        p.minRepeats = int(o.integer("min-repeats", kRepeatLimits.lo, kRepeatLimits.hi));
    if (o.has("tolerance"))
        p.tolerance = o.number("tolerance");
    for (const char* name : { "prompt", "new-tokens" })
        if (o.has(name) && p.workload != Workload::Generate)
            throw InputError(std::string("--") + name,
                "sets the generation protocol: it goes with --generate (eval) or the objectives prefill or decode "
                "(run)");
    if (o.has("prompt"))
        p.prompt = int(o.integer("prompt", 1, kMaxSeqLen));
    if (o.has("new-tokens"))
        p.generate = int(o.integer("new-tokens", 1, kMaxSeqLen));
    if (o.has("precision"))
        p.precision = parsePrecision(o.text("precision"), "--precision");
    p.validate();
}

RemoteOptions remoteOptions(const Options& o)
{
    RemoteOptions r;
    if (o.has("remote-program"))
        r.remoteProgram = o.text("remote-program");
    return r;
}

std::string millions(std::int64_t n)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fM", double(n) / 1e6);
    return buf;
}

std::string clock(double seconds)
{
    const int s = int(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

std::string layersSummary(const std::vector<int>& v)
{
    bool same = true;
    for (int x : v)
        same = same && x == v.front();
    if (same)
        return std::to_string(v.front());
    std::string s;
    for (int x : v)
        s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

// Progress on stderr, one line per candidate and per iteration.
// What the user must know about the BLAS before trusting a latency, said when measuring starts.
void printBlasNotes()
{
    for (const std::string& note : { blasWarning(), blasKernelNote() })
        if (!note.empty())
            std::fprintf(stderr, "%s\n", note.c_str());
}

class Progress final : public SearchObserver {
public:
    void onEvent(const SearchEvent& e) override
    {
        if (!m_started) { // the search began: the folder and the configuration were fine
            m_started = true;
            printBlasNotes();
        }
        if (e.kind == SearchEvent::Kind::Message) {
            std::fprintf(stderr, "%s%s\n", e.warning ? "warning: " : "lts-search: ", e.message.c_str());
        } else if (e.kind == SearchEvent::Kind::Candidate) {
            const Candidate& c = e.candidate;
            if (e.fromEarlierRun) {
                ++m_cached;
                return;
            }
            if (c.status == Candidate::Status::Estimated) { // thousands in a first population: counted, not listed
                ++m_estimated;
                return;
            }
            const Measurement& m = c.measurement;
            std::fprintf(stderr, "[iter %2d | %4d | %s] %-8s params %8s  ", e.iteration, e.evaluated,
                clock(e.elapsedS).c_str(), candidateStatusName(c.status).c_str(), millions(c.decoderParams).c_str());
            if (m.generation)
                std::fprintf(stderr, "prefill %8.2f ms  decode %7.3f ms/token", m.prefillMs, m.decodeMsPerToken);
            else
                std::fprintf(stderr, "latency %8.2f ms", m.latencyMs);
            std::fprintf(stderr, "  peak %8.1f MB  L=%d d=%d", m.peakMemoryMb, c.arch.nLayer, c.arch.dModel);
            if (c.status == Candidate::Status::Failed)
                std::fprintf(stderr, "  (%s)", c.measurement.error.c_str());
            if (c.audit)
                std::fprintf(stderr, "  (audit of a screened-out candidate)");
            std::fprintf(stderr, "\n");
        } else if (e.kind == SearchEvent::Kind::Confirmed) {
            const Candidate& c = e.candidate;
            if (e.fromEarlierRun)
                return;
            const Measurement& m = c.measurement;
            const double now = m.generation ? m.decodeMsPerToken : m.latencyMs;
            const double first = m.generation ? m.firstDecodeMsPerToken : m.firstLatencyMs;
            const char* unit = m.generation ? "ms/token" : "ms";
            std::fprintf(stderr,
                "[iter %2d | %4d | %s] confirm  params %8s  %s %8.3f %s  (id %d first measured %.3f %s, %+.1f%%)%s\n",
                e.iteration, e.evaluated, clock(e.elapsedS).c_str(), millions(c.decoderParams).c_str(),
                m.generation ? "decode" : "latency", now, unit, c.id, first, unit, 100 * (now / first - 1),
                c.status == Candidate::Status::Ok ? "" : "  now over the ceiling");
        } else if (e.kind == SearchEvent::Kind::IterationDone) {
            std::fprintf(stderr, "iteration %d done: %d evaluated (%d estimated only), frontier %d, hypervolume %.4g\n",
                e.iteration, e.evaluated, m_estimated, e.frontierSize, e.hypervolume);
            printEstimate("latency", e.estimate, true);
            printEstimate("peak memory", e.memoryEstimate, false);
        } else if (e.kind == SearchEvent::Kind::Devices) {
            for (const DeviceStatus& d : e.devices) {
                std::string& was = m_deviceStates[d.url];
                const std::string now = deviceStateName(d.state);
                if ((d.state == DeviceState::Reconnecting || d.state == DeviceState::Lost) && was != now)
                    std::fprintf(stderr, "warning: %s %s: %s\n", d.url.c_str(), now.c_str(), d.detail.c_str());
                else if (d.state == DeviceState::Measuring && (was == "reconnecting" || was == "lost"))
                    std::fprintf(stderr, "lts-search: %s is back\n", d.url.c_str());
                if (d.state != DeviceState::Idle)
                    was = now;
            }
        } else if (e.kind == SearchEvent::Kind::Finished) {
            if (m_cached)
                std::fprintf(stderr, "%d candidates taken from the earlier run without measuring\n", m_cached);
            std::fprintf(stderr, "search %s after %s: %d evaluated, frontier %d\n", e.message.c_str(),
                clock(e.elapsedS).c_str(), e.evaluated, e.frontierSize);
        }
    }

private:
    static void printEstimate(const char* what, const EstimateQuality& q, bool withScreened)
    {
        if (q.samples == 0 && (!withScreened || q.screenedOut == 0))
            return;
        std::fprintf(stderr,
            "%s estimate against %d full measurements: %.0f%% within +-5%%, %.0f%% within +-10%%, median error "
            "%.1f%%, 90th percentile %.1f%% (calibration x%.3f)",
            what, q.samples, 100 * q.within5, 100 * q.within10, 100 * q.medianError, 100 * q.p90Error, q.calibration);
        if (withScreened) {
            std::fprintf(stderr, "; %d screened out without a full measurement", q.screenedOut);
            if (q.audited > 0)
                std::fprintf(stderr, ", %d of them audited: %d false drop(s) (%.0f%%)", q.audited, q.falseDrops,
                    100.0 * q.falseDrops / q.audited);
            if (q.margin > 0)
                std::fprintf(stderr, "; margin %.0f%%", 100 * q.margin);
        }
        std::fprintf(stderr, "\n");
    }

    int m_cached = 0;
    int m_estimated = 0;
    bool m_started = false;
    std::map<std::string, std::string> m_deviceStates; // the last state said of each remote device
};

void printFrontier(const SearchResult& r)
{
    std::vector<std::size_t> rows = r.frontier;
    std::sort(rows.begin(), rows.end(),
        [&](std::size_t a, std::size_t b) { return r.candidates[a].decoderParams < r.candidates[b].decoderParams; });
    std::printf("Pareto frontier: %zu of %zu candidates\n", rows.size(), r.candidates.size());
    const bool generation = !rows.empty() && r.candidates[rows.front()].measurement.generation;
    if (generation)
        std::printf("%6s %10s %10s %10s %19s %12s %10s %4s %5s  %-10s %s\n", "id", "decoder", "total", "prefill_ms",
            "decode_ms_per_token", "tokens_per_s", "peak_mb", "L", "d", "n_head", "d_inner");
    else
        std::printf("%6s %10s %10s %12s %10s %10s %4s %5s  %-10s %s\n", "id", "decoder", "total", "latency_ms",
            "iqr_ms", "peak_mb", "L", "d", "n_head", "d_inner");
    for (std::size_t i : rows) {
        const Candidate& c = r.candidates[i];
        const Measurement& m = c.measurement;
        std::printf("%6d %10s %10s ", c.id, millions(c.decoderParams).c_str(), millions(c.totalParams).c_str());
        if (generation)
            std::printf("%10.2f %19.3f %12.1f ", m.prefillMs, m.decodeMsPerToken, m.tokensPerS);
        else
            std::printf("%12.2f %10.2f ", m.latencyMs, m.latencyIqrMs);
        std::printf("%10.1f %4d %5d  %-10s %s\n", m.peakMemoryMb, c.arch.nLayer, c.arch.dModel,
            layersSummary(c.arch.nHead).c_str(), layersSummary(c.arch.dInner).c_str());
    }
}

int commandRun(const Options& o)
{
    SearchJobParams job;
    job.resume = o.has("resume");
    if (job.resume) {
        if (o.has("preset") || o.has("space") || o.has("out"))
            throw InputError(
                "--resume", "takes the run's own configuration; do not combine it with --preset, --space or --out");
        job.folder = QString::fromStdString(o.text("resume"));
        job.folderField = "--resume";
        if (o.has("device")) {
            const std::vector<std::string> remote = remoteDevices(o);
            if (remote.empty())
                throw InputError("--device", "with --resume names the remote devices to go on with (ssh://...)");
            job.remoteDevices = remote;
        }
    } else {
        if (o.has("preset") == o.has("space"))
            throw InputError("--preset/--space", "give exactly one of them");
        if (!o.has("out"))
            throw InputError("--out", "is required: the run folder to write");
        job.folder = QString::fromStdString(o.text("out"));
        job.folderField = "--out";
        SearchConfig& config = job.config;
        if (o.has("preset"))
            config.space = preset(o.text("preset"));
        else
            config = searchConfigFromJson(readJsonFile(QString::fromStdString(o.text("space"))));
        SearchParams& p = config.search;
        if (o.has("objectives"))
            p.objectives = parseObjectives(o.text("objectives"), "--objectives");
        config.protocol.workload = workloadOf(p.objectives);
        applyProtocolOptions(o, config.protocol);
        if (o.has("device"))
            config.remoteDevices = remoteDevices(o);
        if (o.has("seed"))
            p.seed = std::uint64_t(o.integer("seed", 0, kMaxSeed));
        if (o.has("algorithm"))
            p.algorithm = algorithmFromName(o.text("algorithm"), "--algorithm");
        if (o.has("no-screening"))
            p.screening = false;
        if (o.has("presample"))
            p.presample = int(o.integer("presample", kPresampleLimits.lo, kPresampleLimits.hi));
        if (o.has("estimate-rounds"))
            p.estimateRounds = int(o.integer("estimate-rounds", kEstimateRoundLimits.lo, kEstimateRoundLimits.hi));
    }
    if (o.has("iterations"))
        job.iterations = int(o.integer("iterations", kIterationLimits.lo, kIterationLimits.hi));
    if (o.has("time-budget"))
        job.timeBudgetS = o.number("time-budget");
    job.cacheDir = o.has("no-cache") ? QString()
        : o.has("cache-dir")         ? QString::fromStdString(o.text("cache-dir"))
                                     : defaultMeasurementCacheDir();
    if (o.has("remote-program"))
        job.remoteProgram = o.text("remote-program");
    SearchJob search(std::move(job));

    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    std::atomic<bool> done { false };
    // Signal handlers may only set a flag; this thread turns it into a cancellation.
    std::thread watcher([&] {
        while (!done.load()) {
            if (g_interrupted.load()) {
                search.cancel();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    struct Join {
        std::atomic<bool>& done;
        std::thread& watcher;
        ~Join()
        {
            done.store(true);
            watcher.join();
        }
    } join { done, watcher };
    Progress progress;
    const SearchResult result = search.run(&progress).search;
    printFrontier(result);
    return result.devicesLost ? kExitFailure : 0;
}

int commandDevices(const Options& o, const QStringList& args)
{
    if (args.size() < 2)
        throw InputError("devices", "give one or more ssh://[user@]host[:port]/cpu addresses");
    QJsonArray all;
    for (int i = 1; i < args.size(); ++i) {
        const DeviceSpec spec = DeviceSpec::parse(args[i].toStdString(), "devices");
        QJsonObject greeting = probeDevice(spec, remoteOptions(o));
        greeting.insert(q("device"), QString::fromStdString(spec.url()));
        all.append(greeting);
    }
    std::fputs(QJsonDocument(all).toJson().constData(), stdout);
    return 0;
}

// Audit progress on stderr: a line per architecture and ten per training.
void printAuditEvent(const AuditEvent& e)
{
    const AuditReport& r = *e.report;
    const int n = int(r.entries.size());
    if (e.kind == AuditEvent::Kind::Planned) {
        int done = 0;
        for (const AuditEntry& a : r.entries)
            done += a.done;
        const TrainConfig& t = r.config.train;
        std::fprintf(stderr, "audit: %d architectures (%d already trained) on %s, %lld bytes; %s; %s\n", n, done,
            r.config.text.c_str(), static_cast<long long>(r.corpusBytes),
            r.config.timeBudgetS > 0 ? ("time budget " + std::to_string(int(r.config.timeBudgetS)) + " s").c_str()
                                     : (std::to_string(t.tokens) + " tokens each").c_str(),
            r.runtime.c_str());
        return;
    }
    if (e.index < 0)
        return;
    const AuditEntry& a = r.entries[std::size_t(e.index)];
    if (e.kind == AuditEvent::Kind::Started) {
        std::fprintf(stderr, "[%d/%d] id %d (%s): L=%d d=%d, decoder params %s\n", e.index + 1, n, a.pick.candidateId,
            a.pick.reason.c_str(), a.pick.arch.nLayer, a.pick.arch.dModel, millions(a.pick.decoderParams).c_str());
    } else if (e.kind == AuditEvent::Kind::Step) {
        const TrainProgress& p = e.progress;
        if (p.step % std::max(1, p.steps / 10) == 0 || p.step == p.steps)
            std::fprintf(stderr, "        step %5d/%d  loss %.3f  %.0f tokens/s  %s\n", p.step, p.steps, p.loss,
                p.tokensPerS, clock(p.elapsedS).c_str());
    } else if (e.kind == AuditEvent::Kind::Done) {
        const TrainResult& t = a.result;
        if (t.status == TrainResult::Status::Ok)
            std::fprintf(stderr, "[%d/%d] id %d: validation perplexity %.3f (%.3f bits per byte), %.0f tokens/s\n",
                e.index + 1, n, a.pick.candidateId, t.valPpl, t.valBitsPerByte, t.tokensPerS);
        else
            std::fprintf(stderr, "[%d/%d] id %d: failed (%s)\n", e.index + 1, n, a.pick.candidateId, t.error.c_str());
    }
}

void printAgreement(const char* what, const RankAgreement& a)
{
    std::printf("%-16s Spearman rho %6.3f [%6.3f, %6.3f]  Kendall tau %6.3f [%6.3f, %6.3f]\n", what, a.spearman,
        a.spearmanInterval.lo, a.spearmanInterval.hi, a.kendall, a.kendallInterval.lo, a.kendallInterval.hi);
}

int commandAudit(const Options& o, const QStringList& args)
{
    if (args.size() != 2)
        throw InputError("RUN_DIR", "audit takes exactly one run folder");
    if (!o.has("text"))
        throw InputError("--text", "is required: the text file to train on");
    if (o.has("tokens") && o.has("time-budget"))
        throw InputError("--tokens", "give --tokens or --time-budget, not both");
    AuditConfig c;
    c.text = o.text("text");
    if (o.has("archs"))
        c.archs = int(o.integer("archs", kAuditArchLimits.lo, kAuditArchLimits.hi));
    if (o.has("tokens"))
        c.train.tokens = o.integer(
            "tokens", static_cast<long long>(kTrainTokenLimits.lo), static_cast<long long>(kTrainTokenLimits.hi));
    if (o.has("time-budget"))
        c.timeBudgetS = o.number("time-budget");
    if (o.has("batch"))
        c.train.batch = int(o.integer("batch", kTrainBatchLimits.lo, kTrainBatchLimits.hi));
    if (o.has("seq-len"))
        c.train.context = int(o.integer("seq-len", kTrainContextLimits.lo, kTrainContextLimits.hi));
    if (o.has("threads"))
        c.train.threads = int(o.integer("threads", kThreadLimits.lo, kThreadLimits.hi));
    if (o.has("seed"))
        c.train.seed = std::uint64_t(o.integer("seed", 0, kMaxSeed));
    if (o.has("device")) {
        if (isRemoteDevice(o.text("device")))
            throw InputError(
                "--device", "an audit trains on this computer (cpu, cuda or cuda:N); remote devices measure");
        c.train.device = o.text("device");
    }
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    printBlasNotes();
    const AuditReport r = runAudit(args[1], c, printAuditEvent, g_interrupted);
    if (!r.finished) {
        std::fprintf(stderr,
            "audit stopped: %d of %zu architectures trained and kept in %s; the same command resumes it\n",
            int(std::count_if(r.entries.begin(), r.entries.end(), [](const AuditEntry& e) { return e.done; })),
            r.entries.size(), kAuditJsonFile);
        return kExitFailure;
    }
    std::printf("Proxy audit of %d architectures trained (%zu picked), validation perplexity ranked by:\n", r.trained(),
        r.entries.size());
    printAgreement("decoder params", r.decoderParams);
    printAgreement("total params", r.totalParams);
    printAgreement("depth", r.depth);
    std::printf("(+1: more of it always came with lower perplexity; intervals: 95%% bootstrap)\n");
    for (const auto& [more, fewer] : r.misranked) {
        const AuditEntry& a = r.entries[std::size_t(more)];
        const AuditEntry& b = r.entries[std::size_t(fewer)];
        std::printf("misranked: id %d (L=%d, %s, ppl %.3f) has more decoder params than id %d (L=%d, %s, ppl %.3f)\n",
            a.pick.candidateId, a.pick.arch.nLayer, millions(a.pick.decoderParams).c_str(), a.result.valPpl,
            b.pick.candidateId, b.pick.arch.nLayer, millions(b.pick.decoderParams).c_str(), b.result.valPpl);
    }
    return 0;
}

int commandEval(const Options& o, const QStringList& args)
{
    if (args.size() != 2)
        throw InputError("FILE", "eval takes exactly one architecture file");
    ArchDialect dialect {};
    const ArchConfig arch = archFromJson(readJsonFile(args[1]), &dialect);
    const ParamBreakdown p = countParams(arch);
    QJsonObject out { { q("arch"), archToJson(arch) },
        { q("dialect"),
            q(dialect == ArchDialect::Native                  ? "lts"
                    : dialect == ArchDialect::HuggingFaceGpt2 ? "huggingface-gpt2"
                                                              : "archai-flex") },
        { q("decoder_params"), double(p.decoder()) }, { q("total_params"), double(p.total()) },
        { q("params"),
            QJsonObject { { q("attention"), double(p.attention) }, { q("feed_forward"), double(p.feedForward) },
                { q("layer_norm"), double(p.layerNorm) }, { q("relative_position"), double(p.relativePosition) },
                { q("final_norm"), double(p.finalNorm) }, { q("embedding"), double(p.embedding) },
                { q("positional"), double(p.positional) }, { q("head"), double(p.head) } } } };
    if (o.has("generate") && o.has("no-measure"))
        throw InputError("--generate", "measures; it cannot go with --no-measure");
    if (!o.has("no-measure")) {
        MeasureProtocol protocol;
        if (o.has("generate"))
            protocol.workload = Workload::Generate;
        applyProtocolOptions(o, protocol);
        protocol.validateFor(arch);
        std::unique_ptr<Measurer> measurer;
        const std::vector<std::string> remote = remoteDevices(o);
        if (remote.empty()) {
            printBlasNotes();
            measurer = std::make_unique<TorchMeasurer>(protocol);
        } else {
            measurer = std::make_unique<RemoteMeasurer>(
                std::vector<DeviceSpec> { DeviceSpec::parse(remote.front(), "--device") }, protocol, remoteOptions(o));
        }
        std::atomic<bool> never { false };
        const Measurement m = measurer->measure(arch, never);
        QJsonObject mj = measurementToJson(m);
        mj.insert(q("status"), QString::fromStdString(statusName(m.status)));
        out.insert(q("measurement"), mj);
        out.insert(q("protocol"), protocolToJson(protocol));
        const RuntimeInfo rt = runtimeInfo();
        if (const auto* r = dynamic_cast<const RemoteMeasurer*>(measurer.get()))
            out.insert(q("runtime"), r->identity());
        else
            out.insert(q("runtime"),
                QJsonObject { { q("torch"), QString::fromStdString(rt.torchVersion) },
                    { q("blas"), QString::fromStdString(rt.blas) },
                    { q("cpu"), QString::fromStdString(rt.devices.front().name) } });
    }
    std::fwrite(QJsonDocument(out).toJson().constData(), 1, std::size_t(QJsonDocument(out).toJson().size()), stdout);
    return 0;
}

int commandExport(const Options& o, const QStringList& args)
{
    if (args.size() != 2)
        throw InputError("FILE", "export takes exactly one architecture file");
    if (!o.has("out"))
        throw InputError("--out", "is required: the file to write");
    const ArchConfig arch = archFromJson(readJsonFile(args[1]));
    const std::string format = o.has("format") ? o.text("format") : "json";
    QJsonObject doc;
    if (format == "json")
        doc = archToJson(arch);
    else if (format == "hf")
        doc = archToHuggingFace(arch);
    else
        throw InputError("--format", "must be json or hf, got \"" + format + "\"");
    try {
        writeFileAtomically(QString::fromStdString(o.text("out")), QJsonDocument(doc).toJson());
    } catch (const std::runtime_error& e) {
        throw InputError("--out", e.what());
    }
    return 0;
}

int commandPresets(const QStringList& args)
{
    if (args.size() == 2) {
        const SearchSpace s = preset(args[1].toStdString());
        SearchConfig c;
        c.space = s;
        std::fputs(QJsonDocument(searchConfigToJson(c)).toJson().constData(), stdout);
        return 0;
    }
    for (const auto& name : presetNames()) {
        const SearchSpace s = preset(name);
        std::printf("%-20s %-15s n_layer %d..%d, %zu d_model choices, decoder params %s..%s, %.3g architectures\n",
            name.c_str(), backboneName(s.backbone).c_str(), s.nLayerMin, s.nLayerMax, s.dModel.size(),
            millions(s.paramsMin).c_str(), millions(s.paramsMax).c_str(), s.size());
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(q("lts-search"));
    QCoreApplication::setApplicationVersion(q(LTS_VERSION));
    Options o;
    if (!o.parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "lts-search: %s (see lts-search --help)\n", o.parser.errorText().toUtf8().constData());
        return kExitBadInput;
    }
    if (o.has("help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (o.has("version")) {
        std::printf(
            "lts-search %s (LibTorch %s, Qt %s)\n", LTS_VERSION, runtimeInfo().torchVersion.c_str(), qVersion());
        return 0;
    }
    const QStringList args = o.parser.positionalArguments();
    if (args.isEmpty()) {
        std::fputs(kUsage, stderr);
        return kExitBadInput;
    }
    const std::string command = args[0].toStdString();
    try {
        if (command == "run") {
            if (args.size() != 1)
                throw InputError("run", "takes no positional arguments");
            return commandRun(o);
        }
        if (command == "eval")
            return commandEval(o, args);
        if (command == "export")
            return commandExport(o, args);
        if (command == "presets")
            return commandPresets(args);
        if (command == "devices")
            return commandDevices(o, args);
        if (command == "audit")
            return commandAudit(o, args);
        if (command == "serve") {
            if (args.size() != 1)
                throw InputError("serve", "takes no arguments");
            return serveAgent(stdin, stdout);
        }
        throw InputError(
            "command", "unknown command \"" + command + "\" (run, eval, export, presets, audit, devices, serve)");
    } catch (const InputError& e) {
        std::fprintf(stderr, "lts-search: %s\n", e.what());
        return kExitBadInput;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lts-search: error: %s\n", e.what());
        return kExitFailure;
    }
}
