#include "gateway/logging.h"

Q_LOGGING_CATEGORY(lcGateway, "parley.gateway")
