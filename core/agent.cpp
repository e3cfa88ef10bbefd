// `lts-search serve`: the measurement agent. A reader thread takes request lines from stdin (so
// that a cancellation reaches the measurement in progress); this thread answers them in order.
#include "configlimits.h"
#include "errors.h"
#include "jsonio.h"
#include "profiler.h"
#include "remote.h"

#include <QJsonDocument>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace lts {

namespace {

    QString q(const char* s)
    {
        return QString::fromUtf8(s);
    }

    void writeLine(std::FILE* out, const QJsonObject& o)
    {
        const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
        std::fwrite(line.constData(), 1, std::size_t(line.size()), out);
        std::fflush(out);
    }

    QJsonObject errorAnswer(const QJsonValue& id, const std::string& field, const std::string& message)
    {
        return { { q("id"), id },
            { q("error"),
                QJsonObject { { q("field"), QString::fromStdString(field) },
                    { q("message"), QString::fromStdString(message) } } } };
    }

    // A line read by the reader: a request, or the reason it is none.
    struct Line {
        QJsonObject request;
        std::string field, error; // set when the line is not a request
        bool end = false; // stdin ended
    };

    class Agent {
    public:
        Agent(std::FILE* in, std::FILE* out)
            : m_in(in)
            , m_out(out)
        {
        }

        int run()
        {
            writeLine(m_out,
                { { q("lts_agent"), kAgentProtocol }, { q("program"), q("lts-search") },
                    { q("version"), q(LTS_VERSION) }, { q("identity"), agentIdentity() } });
            std::thread reader([this] { read(); });
            for (;;) {
                Line line;
                {
                    std::unique_lock<std::mutex> lock(m_mutex);
                    m_wake.wait(lock, [&] { return !m_lines.empty(); });
                    line = std::move(m_lines.front());
                    m_lines.pop_front();
                    if (line.end)
                        break;
                    m_current = line.request.value(q("id")).toDouble(-1);
                    m_cancel.store(m_cancelled.count(m_current) > 0);
                }
                const QJsonValue id = line.request.value(q("id"));
                if (!line.error.empty())
                    writeLine(m_out, errorAnswer(id, line.field, line.error));
                else
                    writeLine(m_out, answer(line.request));
                std::lock_guard<std::mutex> lock(m_mutex);
                m_cancelled.erase(m_current);
                m_current = -1;
            }
            reader.join();
            return 0;
        }

    private:
        void push(Line line)
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_lines.push_back(std::move(line));
            m_wake.notify_one();
        }

        // Reads lines of at most kMaxAgentLineBytes; a cancellation takes effect at once.
        void read()
        {
            std::string buf;
            bool tooLong = false;
            for (;;) {
                const int c = std::fgetc(m_in);
                if (c == EOF) {
                    push(Line { {}, {}, {}, true });
                    return;
                }
                if (c != '\n') {
                    if (buf.size() < std::size_t(kMaxAgentLineBytes))
                        buf += char(c);
                    else
                        tooLong = true;
                    continue;
                }
                Line line;
                if (tooLong) {
                    line.field = "line";
                    line.error = "is longer than " + std::to_string(kMaxAgentLineBytes) + " bytes";
                } else if (buf.find_first_not_of(" \t\r") == std::string::npos) {
                    buf.clear();
                    continue;
                } else {
                    try {
                        line.request = parseJsonObject(QByteArray::fromStdString(buf), "request");
                    } catch (const InputError& e) {
                        line.field = "line";
                        line.error = e.what();
                    }
                }
                buf.clear();
                tooLong = false;
                if (line.error.empty() && line.request.value(q("op")).toString() == q("cancel")) {
                    const double id = line.request.value(q("id")).toDouble(-1);
                    std::lock_guard<std::mutex> lock(m_mutex);
                    if (m_cancelled.size() >= 1024) // cancellations of requests never sent
                        m_cancelled.erase(m_cancelled.begin());
                    m_cancelled.insert(id);
                    if (id == m_current)
                        m_cancel.store(true);
                    continue;
                }
                push(std::move(line));
            }
        }

        TorchMeasurer& measurerFor(const QJsonObject& request)
        {
            if (!request.value(q("protocol")).isObject())
                throw InputError("protocol", "must be a measurement protocol object");
            const MeasureProtocol p = protocolFromJson(request.value(q("protocol")).toObject());
            const QByteArray key = QJsonDocument(protocolToJson(p)).toJson(QJsonDocument::Compact);
            if (!m_measurer || key != m_protocolKey) {
                m_measurer.reset();
                m_measurer = std::make_unique<TorchMeasurer>(p);
                m_protocolKey = key;
            }
            return *m_measurer;
        }

        static ArchConfig archOf(const QJsonObject& request)
        {
            if (!request.value(q("arch")).isObject())
                throw InputError("arch", "must be an architecture object");
            return archFromJson(request.value(q("arch")).toObject());
        }

        QJsonObject answer(const QJsonObject& request)
        {
            const QJsonValue id = request.value(q("id"));
            try {
                if (!id.isDouble() || id.toDouble() < 0 || id.toDouble() != double(qint64(id.toDouble())))
                    throw InputError("id", "must be a non-negative integer");
                const std::string op = request.value(q("op")).toString().toStdString();
                QJsonObject result;
                if (op == "fingerprint") {
                    result.insert(q("fingerprint"), QString::fromStdString(measurerFor(request).fingerprint()));
                } else if (op == "measure" || op == "confirm") {
                    TorchMeasurer& m = measurerFor(request);
                    const ArchConfig arch = archOf(request);
                    const Measurement r = op == "measure" ? m.measure(arch, m_cancel) : m.confirm(arch, m_cancel);
                    if (r.status == Measurement::Status::Cancelled)
                        return { { q("id"), id }, { q("cancelled"), true } };
                    result = measurementToJson(r);
                    result.insert(q("arch"), archToJson(arch));
                    result.insert(q("status"), q(r.status == Measurement::Status::Ok ? "ok" : "failed"));
                } else if (op == "time_part") {
                    TorchMeasurer& m = measurerFor(request);
                    PartToTime part;
                    part.arch = archOf(request);
                    const std::string name = request.value(q("part")).toString().toStdString();
                    if (name == "head")
                        part.part = LatencyPart::Head;
                    else if (name == "attention")
                        part.part = LatencyPart::Attention;
                    else if (name == "feed_forward")
                        part.part = LatencyPart::FeedForward;
                    else
                        throw InputError("part", "must be head, attention or feed_forward, got \"" + name + "\"");
                    if (part.arch.nLayer != 1)
                        throw InputError("arch.n_layer", "a part's context has one layer");
                    part.width = part.part == LatencyPart::Head ? 0 : request.value(q("width")).toInt(-1);
                    if (part.part == LatencyPart::Attention && (part.width < 1 || part.width > part.arch.dModel))
                        throw InputError("width", "must be an n_head between 1 and d_model");
                    if (part.part == LatencyPart::FeedForward && !kWidthLimits.contains(part.width))
                        throw InputError("width",
                            "must be a d_inner between " + std::to_string(kWidthLimits.lo) + " and "
                                + std::to_string(kWidthLimits.hi));
                    part.tokens = request.value(q("tokens")).toInt(-1);
                    if (!kSeqLenLimits.contains(part.tokens))
                        throw InputError("tokens",
                            "must be between " + std::to_string(kSeqLenLimits.lo) + " and "
                                + std::to_string(kSeqLenLimits.hi));
                    part.arch.nLayer = 0; // the context as the table keeps it
                    part.arch.nHead.clear();
                    part.arch.dInner.clear();
                    const std::optional<PartCost> cost = m.timePart(part, m_cancel);
                    if (!cost)
                        return { { q("id"), id }, { q("cancelled"), true } };
                    result.insert(q("ms"), cost->ms);
                    result.insert(q("peak_mb"), cost->peakMb);
                } else {
                    throw InputError(
                        "op", "must be measure, confirm, time_part, fingerprint or cancel, got \"" + op + "\"");
                }
                return { { q("id"), id }, { q("result"), result } };
            } catch (const InputError& e) {
                return errorAnswer(id, e.field(), e.rule());
            } catch (const std::exception& e) {
                return errorAnswer(id, "", e.what());
            }
        }

        std::FILE* m_in;
        std::FILE* m_out;
        std::mutex m_mutex;
        std::condition_variable m_wake;
        std::deque<Line> m_lines;
        std::set<double> m_cancelled; // ids whose cancellation arrived
        double m_current = -1; // the id being answered
        std::atomic<bool> m_cancel { false };
        std::unique_ptr<TorchMeasurer> m_measurer;
        QByteArray m_protocolKey;
    };

} // namespace

int serveAgent(std::FILE* in, std::FILE* out)
{
    return Agent(in, out).run();
}

} // namespace lts
