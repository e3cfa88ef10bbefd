// The Configure panel: search-space editor with live preview, search settings, the target
// device and the run folder. It validates as the user types, marks the offending field and says
// why, so the main window can keep Start disabled with the reason shown.
#pragma once

#include "searchconfig.h"

#include <QHash>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QTabWidget;

namespace studio {

class RemoteDevicesBox;

// One entry of the panel's table of fields and the section it sits in (configpanel.cpp).
struct ConfigField;
enum class ConfigSection : int;

class ConfigPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ConfigPanel(QWidget* parent = nullptr);

    // Throws lts::InputError naming the field when the entries do not make a valid search.
    lts::SearchConfig config() const;
    void setConfig(const lts::SearchConfig& config);
    bool isValid() const { return m_problem.isEmpty(); }
    // "field: rule" of the first problem, empty when the configuration is valid.
    QString problem() const { return m_problem; }
    // The run folder the user chose; empty means an automatic one.
    QString outputFolder() const;
    void setOutputFolder(const QString& folder);
    // The widget that edits a configuration field ("d_model", "n_layer.min", "device.repeats").
    QWidget* fieldWidget(const QString& field) const { return m_fields.value(field); }
    void loadPreset(const QString& name);
    // What the banner says while a search runs or after it ended (empty: nothing), instead of
    // "Ready to start.", which is only true when no search runs.
    void setRunState(const QString& text, bool running);
    QString bannerText() const;
    // The settings key under which the pace of searches of `c`'s space and protocol is kept, so
    // that the planned duration can be told before the next one starts.
    static QString paceKey(const lts::SearchConfig& c);

Q_SIGNALS:
    void validityChanged(bool valid, const QString& problem);

private:
    // Creates the widgets of one section of the field table (configpanel.cpp) in `form`.
    void addFields(QFormLayout* form, ConfigSection section);
    void watch(const ConfigField& field, QWidget* w);
    void revalidate();
    void syncPresetName(const lts::SearchSpace& space);
    void markInvalid(QWidget* w);
    // Screening knobs only with screening on, Transformer-XL fields only for Transformer-XL.
    void updateEnabled();
    QWidget* widgetForField(const QString& field) const;

    // Every field's widget by its key, which is also the widget's object name.
    QHash<QString, QWidget*> m_fields;
    QWidget* m_marked = nullptr;
    QString m_problem;
    bool m_loading = false;
    // The last configuration set: settings the panel has no widget for are kept from it.
    lts::SearchConfig m_base;

    QTabWidget* m_tabs;
    QComboBox* m_preset;
    QLabel* m_preview;
    QLineEdit* m_output;
    RemoteDevicesBox* m_remote;
    QLabel* m_status;
    QString m_runState;
    bool m_running = false;
};

} // namespace studio
