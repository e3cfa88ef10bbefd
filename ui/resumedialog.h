// File > Resume Run Folder…: what the run did so far, and what its next session may do — a time
// budget of its own, more iterations for a run that ran its course.
#pragma once

#include "livesearch.h"
#include "runfolder.h"

#include <QDialog>

class QDoubleSpinBox;
class QSpinBox;

namespace studio {

class ResumeDialog final : public QDialog {
    Q_OBJECT
public:
    ResumeDialog(const QString& folder, const lts::LoadedRun& run, QWidget* parent = nullptr);

    // The budget and the iterations as the fields hold them.
    ResumeOptions options() const;
    QDoubleSpinBox* budgetField() const { return m_budget; }
    QSpinBox* iterationsField() const { return m_iterations; }
    // The run's own iterations, or twice as many when it ran them all: its course is over, and
    // only more iterations let it search on.
    static int suggestedIterations(const lts::RunInfo& info);

private:
    QDoubleSpinBox* m_budget;
    QSpinBox* m_iterations;
};

} // namespace studio
