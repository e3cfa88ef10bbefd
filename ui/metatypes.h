// The core value types that cross from the search and audit threads to the GUI thread over queued
// connections, declared to Qt's meta-type system.
#pragma once

#include "audit.h"
#include "candidate.h"
#include "search.h"

#include <QMetaType>

Q_DECLARE_METATYPE(lts::Candidate)
Q_DECLARE_METATYPE(lts::SearchEvent)
Q_DECLARE_METATYPE(lts::AuditReport)
Q_DECLARE_METATYPE(lts::TrainProgress)

namespace studio {

// Registers the types above; call once before the first search starts (idempotent).
void registerMetaTypes();

} // namespace studio
