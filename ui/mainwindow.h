// The LTS Studio main window: wires the configure panel, the search controller, the run store
// and its views (plot, frontier table, details, convergence), menus, exports and settings.
// Its public methods are what the menus call, without dialogs, so tests and the screenshot
// script can drive the application the way a user does.
#pragma once

#include "exporter.h"
#include "runstore.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>

class QAction;
class QLabel;
class QMenu;
class QProgressBar;

namespace studio {

class ConfigPanel;
class ConvergencePlot;
class DetailsPanel;
class FrontierTable;
class ParetoPlot;
class SearchController;

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    ConfigPanel* configPanel() const { return m_config; }
    ParetoPlot* plot() const { return m_plot; }
    FrontierTable* frontierTable() const { return m_table; }
    DetailsPanel* details() const { return m_details; }
    ConvergencePlot* convergence() const { return m_convergence; }
    RunStore* store() const { return m_store; }
    QAction* startAction() const { return m_start; }
    QAction* pauseAction() const { return m_pause; }
    QAction* stopAction() const { return m_stop; }

    // Starts a search with the configure panel's settings; false (with lastError()) when it cannot.
    bool startSearch();
    void stopSearch();
    void setPaused(bool paused);
    bool isSearchRunning() const;
    // The folder the current or last search of this window writes.
    QString liveRunFolder() const { return m_liveFolder; }

    // A run folder (or its session.json) or a search configuration file. With `overlay`, a run
    // joins the ones shown instead of replacing them. False with lastError() when it cannot.
    bool openPath(const QString& path, bool overlay = false);
    bool openRun(const QString& folder, bool overlay = false);
    bool openConfig(const QString& file);
    bool saveConfig(const QString& file);
    // Exports the selection, or every frontier point when nothing is selected.
    ExportReport exportTo(ExportFormat format, const QString& target);
    bool exportPlot(const QString& path);
    void copySelection();
    // Selects the measured architecture with the lowest latency among those with at least
    // `decoderParams` decoder parameters, over every shown run; false when there is none.
    bool selectFastestAbove(double decoderParams);
    void setDark(bool dark);
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void searchFinished(const QString& failure);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildActions();
    void buildStatusBar();
    void onSearchEvent(const lts::SearchEvent& event);
    void onSearchFinished(const QString& failure);
    void onSearchProblem(const QString& message);
    void flushPending();
    void updateStatus();
    void updateActions();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void showError(const QString& title, const QString& message);
    std::vector<lts::Candidate> exportSet() const;
    void exportInteractive(ExportFormat format);
    void exportPlotInteractive();
    QString automaticRunFolder() const;
    // Points the plot's vertical axis at a measured objective of `config` when it shows the other one.
    void alignAxesWith(const lts::SearchConfig& config);

    RunStore* m_store;
    SearchController* m_controller;
    ConfigPanel* m_config;
    ParetoPlot* m_plot;
    FrontierTable* m_table;
    DetailsPanel* m_details;
    ConvergencePlot* m_convergence;

    QAction* m_start = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_stop = nullptr;
    QAction* m_dark = nullptr;
    QMenu* m_recentMenu = nullptr;

    QLabel* m_stateLabel = nullptr;
    QLabel* m_evaluatedLabel = nullptr;
    QLabel* m_iterationLabel = nullptr;
    QLabel* m_elapsedLabel = nullptr;
    QLabel* m_etaLabel = nullptr;
    QLabel* m_hvLabel = nullptr;
    QLabel* m_problemLabel = nullptr;
    QProgressBar* m_progress = nullptr;

    // Points arrive one event each; they reach the store (and the plot) in batches.
    std::vector<lts::Candidate> m_pending;
    QTimer m_flushTimer;
    QTimer m_clockTimer;
    QElapsedTimer m_clock;
    QElapsedTimer m_pauseClock; // valid while paused
    qint64 m_pausedMs = 0; // paused time, left out of elapsed and ETA
    bool m_searchEnded = false; // the clock stops with the search
    qint64 m_endMs = 0;
    int m_liveLayer = -1;
    QString m_liveFolder;
    lts::SearchConfig m_liveConfig;
    int m_evaluated = 0;
    int m_iteration = 0;
    double m_hypervolume = 0;
    QString m_finishReason;
    QString m_lastError;
};

} // namespace studio
