#include "statusbar.h"

#include "format.h"

#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QStatusBar>

#include <QStringList>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>

namespace studio {

namespace {

    constexpr int kProgressSteps = 1000;
    constexpr int kProgressWidth = 130;
    constexpr int kProblemHintWidth = 120;

    // A one-line label that takes the room the figures leave and elides what does not fit; its
    // tooltip holds the whole text.
    class ElidingLabel final : public QLabel {
    public:
        using QLabel::QLabel;
        QSize sizeHint() const override { return { kProblemHintWidth, QLabel::sizeHint().height() }; }
        QSize minimumSizeHint() const override { return { 0, QLabel::minimumSizeHint().height() }; }

    protected:
        void paintEvent(QPaintEvent*) override
        {
            QPainter p(this);
            p.setPen(palette().color(foregroundRole()));
            const QRect r = contentsRect();
            p.drawText(
                r, Qt::AlignLeft | Qt::AlignVCenter, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
        }
    };

} // namespace

SearchStatus::SearchStatus(QStatusBar* bar)
    : QObject(bar)
{
    auto label = [bar](const char* name, const QString& tip) {
        auto* l = new QLabel(bar);
        l->setObjectName(QString::fromLatin1(name));
        l->setToolTip(tip);
        bar->addPermanentWidget(l);
        return l;
    };
    m_problem = new ElidingLabel(bar);
    m_problem->setObjectName(QStringLiteral("statusProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #d62728;"));
    bar->addWidget(m_problem, 1);
    m_state = label("statusState", QStringLiteral("What the search is doing"));
    m_evaluated = label("statusEvaluated",
        QStringLiteral("Candidates measured in full so far, and those recorded from the estimates alone"));
    m_iteration = label("statusIteration",
        QStringLiteral("Iteration being evaluated, counted from 0 as in candidates.jsonl and lts-search's output"));
    m_elapsed = label("statusElapsed",
        QStringLiteral("Time the run has searched, pauses left out; a resumed run's earlier "
                       "sessions included"));
    m_eta = label("statusEta", QStringLiteral("Estimated time left, from the pace so far"));
    m_hypervolume = label("statusHypervolume",
        QStringLiteral("Hypervolume after the last iteration: the region the frontier dominates up to the run's "
                       "reference point, in decoder parameters × the cost objectives' units. Larger is better; "
                       "compare it within one run, whose reference point it is."));
    m_estimate = label("statusEstimate", QString());
    m_devices = label("statusDevices", QString());
    m_devices->hide();
    m_progress = new QProgressBar(bar);
    m_progress->setObjectName(QStringLiteral("statusProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setMaximumWidth(kProgressWidth);
    m_progress->setToolTip(QStringLiteral("Share of the planned candidates (or of the time budget) done"));
    bar->addPermanentWidget(m_progress);
}

QString stateText(const SearchProgress& p)
{
    using State = SearchProgress::State;
    switch (p.state) {
    case State::Idle:
        return QStringLiteral("Idle");
    case State::Running:
        return QStringLiteral("Running");
    case State::Pausing:
        return QStringLiteral("Pausing…");
    case State::Paused:
        return QStringLiteral("Paused");
    case State::Stopped:
        return QStringLiteral("Stopped by the user");
    case State::Failed:
        return QStringLiteral("Failed");
    case State::DevicesLost:
        return QStringLiteral("Paused: devices lost");
    case State::Finished:
        break;
    }
    return p.finishReason == QLatin1String("finished") ? QStringLiteral("Finished")
                                                       : QStringLiteral("Finished (%1)").arg(p.finishReason);
}

void SearchStatus::show(const SearchProgress& p)
{
    const QString none = QStringLiteral("–");
    m_state->setText(stateText(p));
    m_evaluated->setText(p.estimated > 0
            ? QStringLiteral("Measured %1 · estimated %2").arg(p.evaluated).arg(p.estimated)
            : QStringLiteral("Evaluated %1").arg(p.evaluated));
    // Counted from 0, as candidates.jsonl, the details panel and lts-search count them.
    m_iteration->setText(p.hasRun ? QStringLiteral("Iteration %1 of 0–%2").arg(p.iteration).arg(p.iterations - 1)
                                  : QStringLiteral("Iteration –"));
    // The run's clock: a resumed run's earlier sessions and this one.
    m_elapsed->setText(QStringLiteral("Elapsed %1").arg(p.hasRun ? clockText(p.earlierS + p.elapsedS) : none));
    m_eta->setText(QStringLiteral("ETA %1").arg(p.etaS >= 0 ? clockText(p.etaS) : none));
    m_hypervolume->setText(QStringLiteral("HV %1").arg(hypervolumeText(p.hypervolume, p.objectives)));
    const EstimateSummary e = estimateSummary(p);
    m_estimate->setVisible(!e.text.isEmpty());
    m_estimate->setText(e.text);
    m_estimate->setToolTip(e.tooltip);
    m_progress->setValue(int(std::lround(p.fraction * kProgressSteps)));
    const DeviceSummary d = deviceSummary(p.devices);
    m_devices->setVisible(!d.text.isEmpty());
    m_devices->setText(d.text);
    m_devices->setToolTip(d.tooltip);
    m_devices->setStyleSheet(d.trouble ? QStringLiteral("color: #d62728;") : QString());
}

DeviceSummary deviceSummary(const std::vector<lts::DeviceStatus>& devices)
{
    DeviceSummary out;
    if (devices.empty())
        return out;
    std::map<lts::DeviceState, int> count;
    QStringList tips;
    for (const auto& d : devices) {
        ++count[d.state];
        QString line = QStringLiteral("%1: %2").arg(
            QString::fromStdString(d.url), QString::fromStdString(lts::deviceStateName(d.state)));
        if (!d.detail.empty())
            line += QStringLiteral(" (%1)").arg(QString::fromStdString(d.detail));
        tips << line;
    }
    QStringList parts;
    for (const auto& [state, n] : count)
        parts << QStringLiteral("%1 %2").arg(n).arg(QString::fromStdString(lts::deviceStateName(state)));
    out.text = QStringLiteral("Devices: %1").arg(parts.join(QStringLiteral(", ")));
    out.tooltip = tips.join(QLatin1Char('\n'));
    out.trouble = count.count(lts::DeviceState::Reconnecting) + count.count(lts::DeviceState::Lost) > 0;
    return out;
}

QString hypervolumeText(double hv, const std::vector<lts::Objective>& objectives)
{
    QStringList units;
    for (lts::Objective o : objectives)
        units << (o == lts::Objective::DecoderParams ? QStringLiteral("params")
                : o == lts::Objective::Memory        ? QStringLiteral("MB")
                                                     : QStringLiteral("ms"));
    static const char* const prefixes[] = { "", " k", " M", " G", " T", " P", " E" };
    int k = 0;
    while (std::abs(hv) >= 1000 && k + 1 < int(std::size(prefixes))) {
        hv /= 1000;
        ++k;
    }
    return QStringLiteral("%1%2 %3")
        .arg(hv, 0, 'f', hv < 10 ? 2 : 1)
        .arg(QString::fromLatin1(prefixes[k]))
        .arg(units.join(QChar(0x00b7)));
}

EstimateSummary estimateSummary(const SearchProgress& p)
{
    EstimateSummary out;
    // A search on prefill or decode never estimates (the estimate predicts a scoring pass).
    if (!p.screening || !p.hasRun || lts::workloadOf(p.objectives) == lts::Workload::Generate)
        return out;
    const bool memory =
        std::find(p.objectives.begin(), p.objectives.end(), lts::Objective::Memory) != p.objectives.end();
    const bool latency =
        std::find(p.objectives.begin(), p.objectives.end(), lts::Objective::Latency) != p.objectives.end();
    auto share = [](const lts::EstimateQuality& q) { return QStringLiteral("%1%").arg(std::lround(100 * q.within10)); };
    auto line = [](const char* what, const lts::EstimateQuality& q) {
        return QStringLiteral("%1 estimate against %2 full measurements: %3% within ±5%, %4% within ±10%, "
                              "median error %5%, 90th percentile %6%")
            .arg(QString::fromLatin1(what))
            .arg(q.samples)
            .arg(std::lround(100 * q.within5))
            .arg(std::lround(100 * q.within10))
            .arg(100 * q.medianError, 0, 'f', 1)
            .arg(100 * q.p90Error, 0, 'f', 1);
    };
    QStringList parts, tips;
    if (latency) {
        parts << QStringLiteral("latency %1").arg(share(p.latencyEstimate));
        tips << line("Latency", p.latencyEstimate);
    }
    if (memory) {
        parts << QStringLiteral("memory %1").arg(share(p.memoryEstimate));
        tips << line("Peak memory", p.memoryEstimate);
    }
    const int samples =
        std::min(latency ? p.latencyEstimate.samples : INT_MAX, memory ? p.memoryEstimate.samples : INT_MAX);
    const bool trusted = (!latency || p.latencyEstimate.trusted) && (!memory || p.memoryEstimate.trusted);
    if (samples == 0) {
        out.text = QStringLiteral("Estimates: not checked yet");
        tips.clear();
    } else {
        out.text = QStringLiteral("Estimates ±10%: %1 · screening %2")
                       .arg(parts.join(QStringLiteral(", ")), trusted ? QStringLiteral("on") : QStringLiteral("off"));
    }
    tips << QStringLiteral("Candidates screened out without a full measurement: %1").arg(p.latencyEstimate.screenedOut);
    if (p.latencyEstimate.audited > 0)
        tips << QStringLiteral(
            "Screened-out candidates measured anyway to audit the screening: %1, of which %2 reached "
            "the frontier (false drops)")
                    .arg(p.latencyEstimate.audited)
                    .arg(p.latencyEstimate.falseDrops);
    tips << (trusted ? QStringLiteral("The estimates hold on this device: they may screen and cull candidates.")
                     : QStringLiteral("Screening and culling wait until 90% of at least 10 full measurements fall "
                                      "within 20% of the estimates; until then every candidate is measured in full."));
    out.tooltip = tips.join(QLatin1Char('\n'));
    return out;
}

void SearchStatus::setProblem(const QString& text)
{
    m_problem->setText(text);
    m_problem->setToolTip(text);
}

} // namespace studio
