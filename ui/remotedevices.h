// The target device panel's choice of where to measure: this computer, or remote devices over
// SSH (a pool of alike boards that measure in parallel), with the program to start there and a
// Test Connection button that shows what each device's agent reports.
#pragma once

#include <QWidget>

#include <string>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QThread;

namespace studio {

class RemoteDevicesBox final : public QWidget {
    Q_OBJECT
public:
    explicit RemoteDevicesBox(QWidget* parent = nullptr);
    ~RemoteDevicesBox() override;

    bool isRemote() const;
    // The pool's addresses (ssh://…); empty when measuring on this computer.
    std::vector<std::string> devices() const;
    std::string remoteProgram() const;
    void setDevices(const std::vector<std::string>& urls, const std::string& remoteProgram);
    // The list a configuration error about "device.remote" points at.
    QWidget* poolWidget() const;
    // What the last Test Connection found, one line per device.
    QString report() const;
    // Tests the connection to every device of the pool on a worker thread; reportReady() follows.
    void testConnection();

Q_SIGNALS:
    void changed();
    void reportReady();

private:
    void addTyped();
    void updateEnabled();

    QComboBox* m_where;
    QWidget* m_remote;
    QListWidget* m_pool;
    QLineEdit* m_address;
    QComboBox* m_kind;
    QPushButton* m_add;
    QPushButton* m_remove;
    QLineEdit* m_program;
    QPushButton* m_test;
    QLabel* m_report;
    QThread* m_probe = nullptr;
};

} // namespace studio
