#include "statusbar.h"

#include "format.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

#include <cmath>

namespace studio {

namespace {

    constexpr int kProgressSteps = 1000;
    constexpr int kProgressWidth = 160;

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
    m_problem = new QLabel(bar);
    m_problem->setObjectName(QStringLiteral("statusProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #d62728;"));
    bar->addWidget(m_problem, 1);
    m_state = label("statusState", QStringLiteral("What the search is doing"));
    m_evaluated = label("statusEvaluated", QStringLiteral("Candidates evaluated so far"));
    m_iteration = label("statusIteration", QStringLiteral("Current iteration of the search"));
    m_elapsed = label("statusElapsed", QStringLiteral("Time since the search started, pauses left out"));
    m_eta = label("statusEta", QStringLiteral("Estimated time left, from the pace so far"));
    m_hypervolume = label(
        "statusHypervolume", QStringLiteral("Hypervolume of the frontier after the last iteration (larger is better)"));
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
    m_evaluated->setText(QStringLiteral("Evaluated %1").arg(p.evaluated));
    m_iteration->setText(p.hasRun ? QStringLiteral("Iteration %1/%2").arg(p.iteration + 1).arg(p.iterations)
                                  : QStringLiteral("Iteration –"));
    m_elapsed->setText(QStringLiteral("Elapsed %1").arg(p.hasRun ? clockText(p.elapsedS) : none));
    m_eta->setText(QStringLiteral("ETA %1").arg(p.etaS >= 0 ? clockText(p.etaS) : none));
    m_hypervolume->setText(QStringLiteral("HV %1").arg(p.hypervolume, 0, 'g', 4));
    m_progress->setValue(int(std::lround(p.fraction * kProgressSteps)));
}

void SearchStatus::setProblem(const QString& text)
{
    m_problem->setText(text);
}

} // namespace studio
