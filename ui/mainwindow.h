// The LTS Studio main window: wires the configure panel, the search controller, the run store
// and its views (plot, frontier table, details, convergence), menus, exports and settings.
// Its public methods are what the menus call, without dialogs, so tests and the screenshot
// script can drive the application the way a user does.
#pragma once

#include "exporter.h"
#include "livesearch.h"
#include "runstore.h"

#include <QMainWindow>

class QAction;
class QLabel;
class QMenu;

namespace studio {

class ConfigPanel;
class ConvergencePlot;
class DetailsPanel;
class FrontierTable;
class ParetoPlot;
class ProxyCheckDialog;
class SearchStatus;

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
    // Continues the stopped or killed run in `folder` in place (File > Resume Run Folder…):
    // its candidates are shown at once, nothing is measured twice and the run's clock goes on;
    // `options` give it a new time budget or more iterations. False with lastError().
    bool resumeSearch(const QString& folder, const ResumeOptions& options = {});
    bool isSearchRunning() const;
    // The folder the current or last search of this window writes.
    QString liveRunFolder() const;
    LiveSearch* liveSearch() const { return m_live; }

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
    // Search > Check Proxy…: the dialog, showing the run the plot follows; null (with lastError())
    // when no run is shown.
    ProxyCheckDialog* showProxyCheck();
    ProxyCheckDialog* proxyCheck() const { return m_proxy; }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void searchFinished(const QString& failure);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    bool askAndResume(const QString& folder);
    bool loadRunOrSayWhy(const QString& folder, lts::LoadedRun& run);
    void fitOnScreen();
    void buildActions();
    QList<QAction*> buildFileMenu();
    void buildEditMenu();
    void buildSearchMenu();
    void buildViewMenu();
    void buildStatusBar();
    void searchStarted(const lts::SearchConfig& config);
    void onSearchFinished(const QString& failure);
    void onSearchWarning(const QString& message);
    void updateStatus();
    void updateActions();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void showError(const QString& title, const QString& message);
    void exportInteractive(ExportFormat format);
    void exportPlotInteractive();
    QString automaticRunFolder() const;
    // Where automatic run folders go, the first place Open Run Folder… looks.
    QString runsFolder() const;
    void showAbout();
    void showShortcuts();
    void openGuide();
    // Points the plot's vertical axis at a measured objective of `config` when it shows the other one.
    void alignAxesWith(const lts::SearchConfig& config);
    // False (with lastError()) while a proxy check trains on this computer and the search would too.
    bool auditAllowsSearch(const lts::SearchConfig& config);
    void selectCandidates(const QString& folder, const std::vector<int>& ids);

    RunStore* m_store;
    LiveSearch* m_live;
    ConfigPanel* m_config;
    ParetoPlot* m_plot;
    FrontierTable* m_table;
    DetailsPanel* m_details;
    ConvergencePlot* m_convergence;
    ProxyCheckDialog* m_proxy = nullptr; // made on first use

    QAction* m_start = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_stop = nullptr;
    QAction* m_resume = nullptr;
    QAction* m_dark = nullptr;
    QAction* m_checkProxy = nullptr;
    QMenu* m_recentMenu = nullptr;

    SearchStatus* m_status = nullptr;
    QLabel* m_folderLabel = nullptr; // the live run's folder
    bool m_axesChosen = false; // the user picked the plot's axes: opening a run keeps them
    QString m_lastError;
};

} // namespace studio
