#include "remotedevices.h"

#include "errors.h"
#include "remote.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPointer>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>

namespace studio {

namespace {

    // One device's greeting, as the report shows it.
    QString describe(const QJsonObject& greeting)
    {
        const QJsonObject id = greeting.value(QStringLiteral("identity")).toObject();
        QString text =
            QStringLiteral("%1 (%2), %3 cores · LibTorch %4 · %5 · lts-search %6")
                .arg(id.value(QStringLiteral("cpu")).toString(), id.value(QStringLiteral("host")).toString())
                .arg(id.value(QStringLiteral("cores")).toInt())
                .arg(id.value(QStringLiteral("torch")).toString(), id.value(QStringLiteral("blas")).toString(),
                    greeting.value(QStringLiteral("version")).toString());
        const QJsonArray devices = id.value(QStringLiteral("devices")).toArray();
        for (const auto& d : devices)
            if (d.toObject().value(QStringLiteral("id")).toString().startsWith(QStringLiteral("cuda")))
                text += QStringLiteral(" · %1 %2")
                            .arg(d.toObject().value(QStringLiteral("id")).toString(),
                                d.toObject().value(QStringLiteral("name")).toString());
        QStringList precisions;
        for (const auto& p : id.value(QStringLiteral("cpu_precisions")).toArray())
            precisions << p.toString();
        if (!precisions.isEmpty())
            text += QStringLiteral(" · CPU runs %1").arg(precisions.join(QStringLiteral(", ")));
        return text;
    }

} // namespace

RemoteDevicesBox::RemoteDevicesBox(QWidget* parent)
    : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* whereRow = new QFormLayout;
    m_where = new QComboBox(this);
    m_where->setObjectName(QStringLiteral("measureOn"));
    m_where->addItem(QStringLiteral("This computer"));
    m_where->addItem(QStringLiteral("Remote devices over SSH"));
    m_where->setToolTip(QStringLiteral("Measure candidates here, or on boards reached with your own ssh keys "
                                       "(lts-search must be installed there)"));
    whereRow->addRow(QStringLiteral("Measure on"), m_where);
    outer->addLayout(whereRow);

    m_remote = new QWidget(this);
    auto* remote = new QFormLayout(m_remote);
    remote->setContentsMargins(0, 0, 0, 0);
    m_pool = new QListWidget(m_remote);
    m_pool->setObjectName(QStringLiteral("remotePool"));
    m_pool->setToolTip(QStringLiteral("Devices of one kind measure a batch in parallel; the search's course is the "
                                      "same as on one of them"));
    m_pool->setMaximumHeight(80);
    m_remove = new QPushButton(QStringLiteral("Remove"), m_remote);
    m_remove->setObjectName(QStringLiteral("remoteRemove"));
    m_remove->setToolTip(QStringLiteral("Remove the selected device from the pool"));
    auto* poolRow = new QVBoxLayout;
    poolRow->addWidget(m_pool, 1);
    poolRow->addWidget(m_remove, 0, Qt::AlignRight);
    remote->addRow(QStringLiteral("Pool"), poolRow);

    m_address = new QLineEdit(m_remote);
    m_address->setObjectName(QStringLiteral("remoteAddress"));
    m_address->setPlaceholderText(QStringLiteral("user@board.local:22"));
    m_address->setToolTip(QStringLiteral("[user@]host[:port], as you would give it to ssh; your ~/.ssh/config, keys "
                                         "and agent are used, and host keys are checked as ssh checks them"));
    remote->addRow(QStringLiteral("Address"), m_address);
    auto* addRow = new QHBoxLayout;
    m_kind = new QComboBox(m_remote);
    m_kind->setObjectName(QStringLiteral("remoteKind"));
    m_kind->setEditable(true);
    m_kind->addItems({ QStringLiteral("cpu"), QStringLiteral("cuda:0"), QStringLiteral("cuda:1") });
    m_kind->setToolTip(QStringLiteral("The device on the remote machine: cpu, cuda or cuda:N"));
    m_add = new QPushButton(QStringLiteral("Add"), m_remote);
    m_add->setObjectName(QStringLiteral("remoteAdd"));
    m_add->setToolTip(QStringLiteral("Add the address to the pool"));
    addRow->addWidget(m_kind, 1);
    addRow->addWidget(m_add);
    remote->addRow(QStringLiteral("Device"), addRow);

    m_program = new QLineEdit(QStringLiteral("lts-search"), m_remote);
    m_program->setObjectName(QStringLiteral("remoteProgram"));
    m_program->setToolTip(QStringLiteral("The lts-search to start there: on the remote PATH, or a full path"));
    remote->addRow(QStringLiteral("Remote program"), m_program);

    m_test = new QPushButton(QStringLiteral("Test Connection"), m_remote);
    m_test->setObjectName(QStringLiteral("remoteTest"));
    m_test->setToolTip(QStringLiteral("Connect to every device of the pool and show what its agent reports"));
    m_report = new QLabel(m_remote);
    m_report->setObjectName(QStringLiteral("remoteReport"));
    m_report->setWordWrap(true);
    m_report->setTextInteractionFlags(Qt::TextSelectableByMouse);
    remote->addRow(m_test);
    remote->addRow(m_report);
    outer->addWidget(m_remote);

    connect(m_where, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        updateEnabled();
        Q_EMIT changed();
    });
    connect(m_add, &QPushButton::clicked, this, &RemoteDevicesBox::addTyped);
    connect(m_address, &QLineEdit::returnPressed, this, &RemoteDevicesBox::addTyped);
    connect(m_remove, &QPushButton::clicked, this, [this] {
        delete m_pool->currentItem();
        updateEnabled();
        Q_EMIT changed();
    });
    connect(m_pool, &QListWidget::currentRowChanged, this, &RemoteDevicesBox::updateEnabled);
    connect(m_address, &QLineEdit::textChanged, this, &RemoteDevicesBox::updateEnabled);
    connect(m_program, &QLineEdit::textChanged, this, &RemoteDevicesBox::changed);
    connect(m_test, &QPushButton::clicked, this, &RemoteDevicesBox::testConnection);
    updateEnabled();
}

RemoteDevicesBox::~RemoteDevicesBox()
{
    if (m_probe)
        m_probe->wait(); // it ends within ssh's connect timeout
}

bool RemoteDevicesBox::isRemote() const
{
    return m_where->currentIndex() == 1;
}

std::vector<std::string> RemoteDevicesBox::devices() const
{
    std::vector<std::string> out;
    if (!isRemote())
        return out;
    for (int i = 0; i < m_pool->count(); ++i)
        out.push_back(m_pool->item(i)->text().toStdString());
    return out;
}

std::string RemoteDevicesBox::remoteProgram() const
{
    const QString p = m_program->text().trimmed();
    return p.isEmpty() ? std::string("lts-search") : p.toStdString();
}

void RemoteDevicesBox::setDevices(const std::vector<std::string>& urls, const std::string& remoteProgram)
{
    m_pool->clear();
    for (const auto& url : urls)
        m_pool->addItem(QString::fromStdString(url));
    m_program->setText(QString::fromStdString(remoteProgram));
    m_where->setCurrentIndex(urls.empty() ? 0 : 1);
    updateEnabled();
    Q_EMIT changed();
}

QWidget* RemoteDevicesBox::poolWidget() const
{
    return isRemote() ? static_cast<QWidget*>(m_pool) : m_where;
}

QString RemoteDevicesBox::report() const
{
    return m_report->text();
}

void RemoteDevicesBox::addTyped()
{
    QString typed = m_address->text().trimmed();
    if (typed.isEmpty())
        return;
    if (!typed.startsWith(QStringLiteral("ssh://")))
        typed = QStringLiteral("ssh://") + typed;
    if (typed.indexOf(QLatin1Char('/'), 6) < 0)
        typed += QLatin1Char('/') + m_kind->currentText().trimmed();
    try {
        const lts::DeviceSpec spec = lts::DeviceSpec::parse(typed.toStdString(), "address");
        m_pool->addItem(QString::fromStdString(spec.url()));
        m_address->clear();
        m_report->clear();
    } catch (const lts::InputError& e) {
        m_report->setText(QStringLiteral("<span style='color:#d62728'>%1</span>")
                              .arg(QString::fromStdString(e.what()).toHtmlEscaped()));
    }
    updateEnabled();
    Q_EMIT changed();
}

void RemoteDevicesBox::updateEnabled()
{
    m_remote->setVisible(isRemote());
    m_add->setEnabled(!m_address->text().trimmed().isEmpty());
    m_remove->setEnabled(m_pool->currentItem() != nullptr);
    m_test->setEnabled(m_pool->count() > 0 && !m_probe);
}

void RemoteDevicesBox::testConnection()
{
    if (m_probe || m_pool->count() == 0)
        return;
    std::vector<std::string> urls;
    for (int i = 0; i < m_pool->count(); ++i)
        urls.push_back(m_pool->item(i)->text().toStdString());
    lts::RemoteOptions options;
    options.remoteProgram = remoteProgram();
    m_report->setText(QStringLiteral("Connecting to %1 device(s)…").arg(urls.size()));
    QPointer<RemoteDevicesBox> self(this);
    m_probe = QThread::create([self, urls, options] {
        QStringList lines;
        for (const auto& url : urls) {
            QString line = QStringLiteral("<b>%1</b>: ").arg(QString::fromStdString(url).toHtmlEscaped());
            try {
                line += describe(lts::probeDevice(lts::DeviceSpec::parse(url, "device"), options)).toHtmlEscaped();
            } catch (const lts::InputError& e) {
                line += QStringLiteral("<span style='color:#d62728'>%1</span>")
                            .arg(QString::fromStdString(e.rule()).toHtmlEscaped());
            }
            lines << line;
        }
        QMetaObject::invokeMethod(
            self,
            [self, lines] {
                if (!self)
                    return;
                self->m_report->setText(lines.join(QStringLiteral("<br>")));
                self->m_probe->deleteLater();
                self->m_probe = nullptr;
                self->updateEnabled();
                Q_EMIT self->reportReady();
            },
            Qt::QueuedConnection);
    });
    m_probe->setParent(this);
    m_probe->start();
    updateEnabled();
}

} // namespace studio
