#include "chat/logging.h"

Q_LOGGING_CATEGORY(lcChat, "parley.chat")
Q_LOGGING_CATEGORY(lcChatPipeline, "parley.chat.pipeline")
