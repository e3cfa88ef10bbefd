#include "wheelguard.h"

#include <QAbstractScrollArea>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QEvent>
#include <QScrollBar>

namespace studio {

namespace {

    bool isField(const QObject* o)
    {
        return qobject_cast<const QAbstractSpinBox*>(o) || qobject_cast<const QComboBox*>(o);
    }

    class WheelGuard final : public QObject {
    public:
        using QObject::QObject;

    protected:
        bool eventFilter(QObject* watched, QEvent* event) override
        {
            if (!isField(watched))
                return false;
            auto* field = static_cast<QWidget*>(watched);
            if (event->type() == QEvent::Polish) {
                field->setFocusPolicy(Qt::StrongFocus); // the wheel does not give a field focus
                return false;
            }
            if (event->type() != QEvent::Wheel || field->hasFocus())
                return false;
            for (QWidget* w = field->parentWidget(); w; w = w->parentWidget())
                if (auto* area = qobject_cast<QAbstractScrollArea*>(w)) {
                    QCoreApplication::sendEvent(area->verticalScrollBar(), event);
                    break;
                }
            return true;
        }
    };

} // namespace

void guardWheelOnFields()
{
    static WheelGuard* guard = nullptr;
    if (guard || !qApp)
        return;
    guard = new WheelGuard(qApp);
    qApp->installEventFilter(guard);
}

} // namespace studio
