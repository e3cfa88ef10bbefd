#include "metatypes.h"

namespace studio {

void registerMetaTypes()
{
    qRegisterMetaType<lts::Candidate>("lts::Candidate");
    qRegisterMetaType<lts::SearchEvent>("lts::SearchEvent");
    qRegisterMetaType<lts::AuditReport>("lts::AuditReport");
    qRegisterMetaType<lts::TrainProgress>("lts::TrainProgress");
}

} // namespace studio
