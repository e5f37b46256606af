// ContextReport as JSON text, the form the store keeps it in.
#pragma once

#include <QString>

#include "chat/chat_service.h"
#include "common/result.h"

namespace parley::chat {

QString contextReportToJson(const ContextReport& report);
Result<ContextReport> contextReportFromJson(const QString& json);

}  // namespace parley::chat
