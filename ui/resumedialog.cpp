#include "resumedialog.h"

#include "configlimits.h"
#include "format.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace studio {

int ResumeDialog::suggestedIterations(const lts::RunInfo& info)
{
    const int planned = info.config.search.iterations;
    const bool ranItsCourse = info.finished && info.iterationsDone >= planned;
    return std::min(lts::kIterationLimits.hi, ranItsCourse ? info.iterationsDone + planned : planned);
}

ResumeDialog::ResumeDialog(const QString& folder, const lts::LoadedRun& run, QWidget* parent)
    : QDialog(parent)
    , m_budget(new QDoubleSpinBox(this))
    , m_iterations(new QSpinBox(this))
{
    setWindowTitle(QStringLiteral("Resume Run"));
    setObjectName(QStringLiteral("resumeDialog"));
    const lts::RunInfo& info = run.info;
    const auto estimated = std::count_if(run.candidates.begin(), run.candidates.end(),
        [](const lts::Candidate& c) { return c.status == lts::Candidate::Status::Estimated; });
    const QString ended = info.cancelled ? QStringLiteral("was stopped")
        : info.finished                  ? QStringLiteral("ended")
                                         : QStringLiteral("was interrupted");
    auto* summary = new QLabel(QStringLiteral("<b>%1</b><br>%2 measured, %3 estimated. It %4 after %5 of searching, "
                                              "with %6 of %7 iterations done.")
                                   .arg(QFileInfo(folder).fileName().toHtmlEscaped())
                                   .arg(qsizetype(run.candidates.size()) - qsizetype(estimated))
                                   .arg(estimated)
                                   .arg(ended, clockText(info.elapsedS))
                                   .arg(info.iterationsDone)
                                   .arg(info.config.search.iterations),
        this);
    summary->setObjectName(QStringLiteral("resumeSummary"));
    summary->setWordWrap(true);

    m_budget->setObjectName(QStringLiteral("resumeBudget"));
    m_budget->setRange(lts::kTimeBudgetLimits.lo, lts::kTimeBudgetLimits.hi);
    m_budget->setDecimals(0);
    m_budget->setSuffix(QStringLiteral(" s"));
    m_budget->setSpecialValueText(QStringLiteral("no limit"));
    m_budget->setValue(info.config.search.timeBudgetS);
    m_budget->setToolTip(QStringLiteral("How long this session may search, confirming its frontier included; the "
                                        "run's clock goes on from %1")
                             .arg(clockText(info.elapsedS)));
    m_iterations->setObjectName(QStringLiteral("resumeIterations"));
    m_iterations->setRange(std::max(lts::kIterationLimits.lo, info.iterationsDone), lts::kIterationLimits.hi);
    m_iterations->setValue(suggestedIterations(info));
    m_iterations->setToolTip(QStringLiteral("Iterations of the whole run, the %1 done included: a run that ran all "
                                            "its iterations searches on only with more")
                                 .arg(info.iterationsDone));

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("Time budget for this session:"), m_budget);
    form->addRow(QStringLiteral("Iterations in all:"), m_iterations);
    auto* note = new QLabel(QStringLiteral("Nothing measured before is measured again: the search replays its seeded "
                                           "course to where it stopped, then goes on."),
        this);
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Resume"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setMinimumWidth(fontMetrics().averageCharWidth() * 60);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(summary);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
}

ResumeOptions ResumeDialog::options() const
{
    ResumeOptions o;
    o.timeBudgetS = m_budget->value();
    o.iterations = m_iterations->value();
    return o;
}

} // namespace studio
