#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcChat)
// One line per pipeline stage with its duration (the request's timed spans).
Q_DECLARE_LOGGING_CATEGORY(lcChatPipeline)
