#include "metatypes.h"

namespace studio {

void registerMetaTypes()
{
    qRegisterMetaType<lts::Candidate>("lts::Candidate");
    qRegisterMetaType<lts::SearchEvent>("lts::SearchEvent");
}

} // namespace studio
