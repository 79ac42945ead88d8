// An os source may not include a core header: this must not compile (see CMakeLists.txt).
#include "aicactl/core/errors.hpp"
