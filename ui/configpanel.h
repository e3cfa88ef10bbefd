// The Configure panel: search-space editor with live preview, search settings, the target
// device and the run folder. It validates as the user types, marks the offending field and says
// why, so the main window can keep Start disabled with the reason shown.
#pragma once

#include "jsonio.h"

#include <QHash>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace studio {

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
    QString problemField() const { return m_problemField; }
    // The run folder the user chose; empty means an automatic one.
    QString outputFolder() const;
    void setOutputFolder(const QString& folder);
    // The widget that edits a configuration field ("d_model", "n_layer.min", "device.repeats").
    QWidget* fieldWidget(const QString& field) const { return m_fields.value(field); }
    void loadPreset(const QString& name);

Q_SIGNALS:
    void validityChanged(bool valid, const QString& problem);

private:
    void revalidate();
    void markInvalid(QWidget* w);
    void updateBackboneFields();
    QWidget* widgetForField(const QString& field) const;
    void addField(const QString& field, QWidget* w, const QString& tip);
    // The fields that only matter with screening on.
    QList<QWidget*> screeningKnobs() const;

    QHash<QString, QWidget*> m_fields;
    QWidget* m_marked = nullptr;
    QString m_problem;
    QString m_problemField;
    bool m_loading = false;
    // The last configuration set: settings the panel has no widget for are kept from it.
    lts::SearchConfig m_base;

    QComboBox* m_preset;
    QLineEdit* m_name;
    QComboBox* m_backbone;
    QSpinBox* m_layerMin;
    QSpinBox* m_layerMax;
    QLineEdit* m_dModel;
    QLineEdit* m_nHead;
    QLineEdit* m_dInner;
    QCheckBox* m_homogeneous;
    QDoubleSpinBox* m_innerRatio;
    QSpinBox* m_divVal;
    QSpinBox* m_dEmbed;
    QLineEdit* m_cutoffs;
    QSpinBox* m_vocab;
    QSpinBox* m_seqLen;
    QSpinBox* m_memLen;
    QDoubleSpinBox* m_paramsMin;
    QDoubleSpinBox* m_paramsMax;
    QDoubleSpinBox* m_latencyCeiling;
    QDoubleSpinBox* m_memoryCeiling;
    QLabel* m_preview;

    QComboBox* m_algorithm;
    QComboBox* m_objectives;
    QSpinBox* m_iterations;
    QSpinBox* m_parents;
    QSpinBox* m_mutants;
    QSpinBox* m_crossovers;
    QDoubleSpinBox* m_mutationProb;
    QDoubleSpinBox* m_crossoverProb;
    QLineEdit* m_seed;
    QDoubleSpinBox* m_timeBudget;
    QCheckBox* m_screening;
    QDoubleSpinBox* m_screeningMargin;
    QSpinBox* m_presample;
    QSpinBox* m_estimateRounds;

    QComboBox* m_device;
    QLabel* m_deviceInfo;
    QSpinBox* m_threads;
    QSpinBox* m_batch;
    QSpinBox* m_protocolSeqLen;
    QSpinBox* m_warmup;
    QSpinBox* m_repeats;
    QSpinBox* m_minRepeats;
    QDoubleSpinBox* m_tolerance;

    QLineEdit* m_output;
    QLabel* m_status;
};

} // namespace studio
