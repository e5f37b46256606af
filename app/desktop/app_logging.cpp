#include "app_logging.h"

Q_LOGGING_CATEGORY(lcApp, "parley.app")
