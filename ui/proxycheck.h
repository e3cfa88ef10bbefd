// Search > Check Proxy…: trains a sample of a run's architectures briefly on the user's own text
// (lts::runAudit on a worker thread) and shows how well decoder parameters rank them: progress
// with the time left, each architecture's training loss as it trains, then validation perplexity
// against decoder parameters with the rank correlations, selectable like the main plot. The audit
// is kept in the run folder (audit.json, audit.csv), so a reopened run shows it again and Start
// resumes a stopped one.
#pragma once

#include "audit.h"
#include "searchcontroller.h"

#include <QDialog>
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <memory>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;
class QCPGraph;
class QCPItemText;
class QCPItemLine;

namespace studio {

class PlotCanvas;

// Lives on the audit thread; cancel() is called from the GUI thread.
class AuditWorker final : public QObject {
    Q_OBJECT
public:
    AuditWorker(QString runDir, lts::AuditConfig config);
    void run();
    void cancel() { m_cancel = true; }

Q_SIGNALS:
    void planned(const lts::AuditReport& report);
    void started(int index);
    // At most every 50 ms per architecture, and its last step.
    void stepped(int index, const lts::TrainProgress& progress);
    void trained(const lts::AuditReport& report, int index);
    // The audit is over; `failure` is empty unless it ended with an error.
    void done(const lts::AuditReport& report, const QString& failure);

private:
    QString m_runDir;
    lts::AuditConfig m_config;
    std::atomic<bool> m_cancel { false };
};

class ProxyCheckDialog final : public QDialog {
    Q_OBJECT
public:
    explicit ProxyCheckDialog(QWidget* parent = nullptr);
    ~ProxyCheckDialog() override;

    // Shows run folder `folder` and the audit it holds, if any (its settings fill the form).
    // False with lastError() while an audit runs or when audit.json is damaged (then the
    // form is kept and the damage named).
    bool setRun(const QString& folder);
    QString runFolder() const { return m_folder; }
    void setSettings(const lts::AuditConfig& config);
    // The form's settings; throws InputError naming the field when one is not valid.
    lts::AuditConfig settings() const;
    // Starts (or resumes) the audit of the run folder; false with lastError() when it cannot.
    bool start();
    // Keeps the run's check as audit-<date>.json (and .csv) and starts a new one with the form's
    // settings; false with lastError() when it cannot.
    bool startOver();
    // Takes effect within the current training step; finished architectures stay in audit.json.
    void stop();
    bool isRunning() const { return m_thread != nullptr; }
    // Blocks until the audit thread has ended (after stop()).
    void waitForStop();
    // Start is refused while a search measures on this computer: training would slow it.
    void setSearchRunning(bool running);
    void setDark(bool dark);

    const lts::AuditReport& report() const { return m_report; }
    QString lastError() const { return m_lastError; }
    QString statusText() const;
    QString agreementText() const;
    PlotCanvas* lossPlot() const { return m_lossPlot; }
    PlotCanvas* resultPlot() const { return m_resultPlot; }
    QTableWidget* table() const { return m_table; }
    // Entries (indices into report().entries) selected in the plot or the table.
    std::vector<int> selectedEntries() const { return m_selected; }
    void setSelectedEntries(std::vector<int> entries);
    // Where a trained entry is drawn on the result plot, in canvas pixels; (-1,-1) when it is not.
    QPoint pixelOfEntry(int index) const;
    // The trained entry drawn nearest `pixel` within the pick radius, else -1.
    int entryAt(const QPointF& pixel) const;
    // The (training loss) graph of an entry on the loss plot; null before it trains.
    QCPGraph* lossGraph(int index) const;

Q_SIGNALS:
    // The user selected these candidates of the run (candidate ids) in the dialog.
    void candidatesSelected(const QString& runFolder, const std::vector<int>& candidateIds);
    void runningChanged(bool running);

private:
    void buildForm();
    void buildPlots();
    void onPlanned(const lts::AuditReport& report);
    void onStarted(int index);
    void onStepped(int index, const lts::TrainProgress& progress);
    void onTrained(const lts::AuditReport& report, int index);
    void onDone(const lts::AuditReport& report, const QString& failure);
    void showReport(); // table, curves, result plot and figures from m_report
    void fillTable();
    void fillRow(int index);
    void rebuildLossPlot();
    void rebuildResultPlot();
    void updateSelectionMarks();
    void updateProgress(int index, const lts::TrainProgress* progress);
    void updateButtons();
    void setStatus(const QString& text, bool error = false);
    void userSelected(std::vector<int> entries);
    void onResultMouseRelease(QMouseEvent* event);
    void onResultMouseMove(QMouseEvent* event);
    void onResultBox(const QRect& rect, QMouseEvent* event);
    void browseText();
    QColor entryColor(int index) const;
    static int runtimeCores();
    // Relative cost of training entry `index` (parameters times tokens), for the time left.
    double entryCost(int index) const;

    QString m_folder;
    lts::AuditReport m_report;
    bool m_searchRunning = false;
    QString m_lastError;
    std::vector<int> m_selected;
    std::vector<QCPGraph*> m_lossGraphs; // per entry
    QCPGraph* m_selectionGraph = nullptr;
    std::vector<QCPItemLine*> m_misrankedLines; // of the selected entries
    std::vector<QPointF> m_pointCoords; // per entry: (decoder params, val ppl), NaN when not trained

    // Time left: what this session has trained so far (cost and seconds).
    double m_sessionStartS = 0;
    double m_costDone = 0;
    double m_secondsDone = 0;
    double m_currentElapsed = 0;
    int m_current = -1;

    QLabel* m_runLabel = nullptr;
    QLineEdit* m_text = nullptr;
    QPushButton* m_browse = nullptr;
    QSpinBox* m_archs = nullptr;
    QComboBox* m_budgetKind = nullptr;
    QStackedWidget* m_budgetStack = nullptr;
    QDoubleSpinBox* m_tokens = nullptr;
    QDoubleSpinBox* m_minutes = nullptr;
    QComboBox* m_device = nullptr;
    QSpinBox* m_threads = nullptr;
    PlotCanvas* m_lossPlot = nullptr;
    PlotCanvas* m_resultPlot = nullptr;
    QLabel* m_agreement = nullptr;
    QTableWidget* m_table = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_eta = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_startOver = nullptr;
    QPoint m_pressPos;

    std::unique_ptr<QThread, ThreadDeleter> m_thread;
    std::unique_ptr<AuditWorker> m_worker; // deleted after its thread has ended
};

} // namespace studio
